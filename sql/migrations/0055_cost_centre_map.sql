-- The [cost_centres] mapping as edited on the Reports page: feature -> cost centre, with who saved it
-- and when. The TOML config's [cost_centres] still wins for every feature it names.
CREATE TABLE cost_centre_map (
    feature     VARCHAR PRIMARY KEY,
    cost_centre VARCHAR NOT NULL,
    updated_by  VARCHAR NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
