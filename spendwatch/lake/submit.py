"""`spark-submit` takes a .py file, not a console script: this one runs the spendwatch command line
inside the driver spark-submit starts, so `report --engine spark` uses spark-submit's master and
settings. Only the driver needs spendwatch: the cost logic is SQL, run in the executors' JVMs.

    spark-submit --master spark://head:7077 "$(python -c 'import spendwatch.lake.submit as m; print(m.__file__)')" \\
        report --engine spark --lake /mnt/lake --by month,project
"""

from __future__ import annotations

if __name__ == "__main__":
    from spendwatch.cli import main

    main()
