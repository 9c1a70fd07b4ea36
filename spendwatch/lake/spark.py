"""Apache Spark over the lake: the same report as DuckDB's, to the femto-dollar.

The cost views are the migrations' own text (lake.views.to_spark translates DuckDB's dialect) and the
report is sql/queries/report.sql itself, so the logic is written once. pyspark is an optional extra
(``pip install 'spendwatch[spark]'``): nothing else in spendwatch imports this module.

Exact money on Spark takes one setting: with ``spark.sql.decimalOperations.allowPrecisionLoss``
(on by default) Spark trims a product's scale to 6 digits; off, DECIMAL(38, 0) femto-dollars times
1e-15 keeps all 15 decimals, as DuckDB does.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spendwatch import days
from spendwatch.errors import SpendwatchError
from spendwatch.lake import duck, sync, views

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

INSTALL_HINT = "the Spark engine needs pyspark and Java 17+: pip install 'spendwatch[spark]'"
DEFAULT_MASTER = "local[*]"
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.decimalOperations.allowPrecisionLoss": "false",
    "spark.sql.ansi.enabled": "true",  # overflow is an error, never a silent NULL
    # The cost expression compiles into one Java method past HotSpot's 8,000-byte JIT limit, so
    # whole-stage code ran interpreted: without it the report is 2.5x faster (bench/engines.py).
    "spark.sql.codegen.wholeStage": "false",
}


def require_pyspark() -> None:
    """One line telling how to install the extra when pyspark is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise SpendwatchError(INSTALL_HINT) from None


def session(master: str | None = None, *, app: str = "spendwatch") -> SparkSession:
    """A SparkSession on ``master`` (else $SPARK_MASTER, else local[*]; under spark-submit, its own)."""
    require_pyspark()
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app).config("spark.ui.showConsoleProgress", "false")
    master = master or os.environ.get("SPARK_MASTER")
    if not master and "PYSPARK_GATEWAY_PORT" not in os.environ:  # else spark-submit set the master
        master = DEFAULT_MASTER
    if master:
        builder = builder.master(master)
    if master and master.startswith("local"):
        # one machine: a few shuffle tasks per group-by, not Spark's default 200
        builder = builder.config("spark.sql.shuffle.partitions", str(2 * (os.cpu_count() or 2)))
    for key, value in SESSION_CONF.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as e:  # no Java, a master that does not answer: one line, not a JVM trace
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise SpendwatchError(f"cannot start Spark ({master or 'spark-submit'}): {first}") from None
    # a session that already existed (spark-submit, a notebook) would keep its own settings otherwise
    for key, value in SESSION_CONF.items():
        spark.conf.set(key, value)
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _uri(path: str | Path) -> str:
    """file:// and the absolute path, as Hadoop reads it (not percent-encoded: 'date=' stays '='),
    so a cluster whose default file system is HDFS still reads the mounted lake."""
    return "file://" + str(Path(path).resolve())


def open_lake(spark: SparkSession, lake: str | Path) -> None:
    """Register the lake's tables and the cost views in ``spark``'s session."""
    root = duck.lake_root(lake)
    uris = [_uri(p) for p in duck.request_files(root)]
    spark.read.option("mergeSchema", "true").parquet(*uris).createOrReplaceTempView("requests")
    for name in duck.READ_TABLES:
        spark.read.parquet(_uri(sync.table_path(root, name))).createOrReplaceTempView(name)
    try:
        for statement in views.cost_views():
            spark.sql(views.to_spark(statement))
    except SpendwatchError:
        raise
    except Exception as e:  # pyspark's AnalysisException: a lake synced by another version
        raise sync.stale(root, e) from None


class SparkConnection:
    """Just enough of a DuckDB connection (``execute(sql, params)`` → ``fetchone`` / ``fetchall`` /
    ``description``) for report.py and days.py to run their unchanged queries on Spark."""

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> SparkResult:
        text, args = spark_statement(sql, params or {})
        try:
            df = self.spark.sql(text, args=args or None)
            return SparkResult([f.name for f in df.schema.fields], [tuple(r) for r in df.collect()])
        except Exception as e:  # a JVM error is one line here, never a Java stack trace
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:300]
            raise SpendwatchError(f"Spark failed: {first}") from None

    def cursor(self) -> SparkConnection:
        return self

    def close(self) -> None:
        """The session outlives a command's connection (it is costly to start)."""


class SparkResult:
    def __init__(self, names: list[str], rows: list[tuple[Any, ...]]) -> None:
        self.description = [(n, None, None, None, None, None, None) for n in names]
        self._rows = rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._rows)

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None


def spark_statement(sql: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A spendwatch query in Spark's dialect with its bound arguments: ``$name`` parameters become
    ``:name`` markers, timestamps exact TIMESTAMP_NTZ text so that no time zone ever touches them."""
    text = views.to_spark(sql)
    args: dict[str, Any] = {}
    for name in sorted(set(re.findall(r"\$([a-z_][a-z0-9_]*)", text))):
        if name not in params:
            raise SpendwatchError(f"the query needs a value for ${name}")
        value = params[name]
        if isinstance(value, datetime | date):
            args[name] = days.as_datetime(value).isoformat(sep=" ")
            text = re.sub(rf"\${name}\b", f"CAST(:{name} AS TIMESTAMP_NTZ)", text)
        else:
            args[name] = value
    return views.spark_params(text), args


def connect(lake: str | Path, *, master: str | None = None) -> SparkConnection:
    """The lake at ``lake`` on Spark, ready for report.spend_report (and days.empty_window)."""
    spark = session(master)
    open_lake(spark, lake)
    return SparkConnection(spark)
