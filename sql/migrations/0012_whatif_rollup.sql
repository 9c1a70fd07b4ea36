-- The what-if rollup: successful requests per UTC hour, feature, model, project and batch flag, with
-- the token sums of the priced ones apart, so that spendwatch.whatif and spendwatch.recommend price
-- a scenario from a few thousand rows instead of replaying every request (the hourly rollup has no
-- batch column, and its token sums include unpriced requests). Built with the other rollups by
-- spendwatch.rollups and trusted under the same rollup_state check.
CREATE TABLE requests_whatif_hourly (
    hour                 TIMESTAMP NOT NULL,   -- UTC hour start
    feature              VARCHAR NOT NULL,
    model                VARCHAR NOT NULL,
    project_id           VARCHAR,
    batch                BOOLEAN NOT NULL,
    requests             BIGINT NOT NULL,      -- status 'ok' only
    unpriced_requests    BIGINT NOT NULL,
    input_tokens         BIGINT NOT NULL,      -- all of them (recommendations: prompt length, cache use)
    cached_tokens        BIGINT NOT NULL,
    priced_input_tokens  BIGINT NOT NULL,      -- those of priced requests (what a simulation re-prices)
    priced_cached_tokens BIGINT NOT NULL,
    priced_output_tokens BIGINT NOT NULL,
    cost_fusd            HUGEINT               -- exact priced cost in 1e-15 USD (NULL: none priced)
);

-- Rollups built before this table existed do not cover it: the next rollups.ensure rebuilds them all.
DELETE FROM rollup_state;
