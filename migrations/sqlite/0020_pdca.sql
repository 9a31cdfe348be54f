-- The national guide's PDCA chain (手引き Ver.3, issue 18): 目指すべき姿 per
-- plan period with a goal per scene, the municipality's own scenes,
-- 評価指標 with their measured values, several scenes and indicators per
-- countermeasure, the verdict of an evaluation and the next cycle.
--
-- Scenes are named, not numbered: the four national scenes (日常の療養支援,
-- 入退院支援, 急変時の対応, 看取り) exist in every municipality without a
-- row (src/scenes); `scenes` holds the ones a municipality adds. Tables
-- that name a scene store its name, resolved against both on write.
CREATE TABLE scenes (
    id               INTEGER PRIMARY KEY,
    municipality_id  INTEGER NOT NULL REFERENCES municipalities(id),
    name             TEXT NOT NULL,
    sort_order       INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    UNIQUE (municipality_id, name)
);

-- 地域の目指すべき姿 for a plan period (`2024-2026`, calendar::PlanPeriod):
-- the municipality's own (ward_id NULL) and optionally a ward's under it.
-- sharing: one of the national survey's five levels (事業計画に記載し関係者と
-- 共有 / 関係者と共有 / 行政内のみ / 場面ごとには未設定 / 未設定).
-- cycle_years: the intended improvement cycle (1 = 1年).
CREATE TABLE visions (
    id               INTEGER PRIMARY KEY,
    municipality_id  INTEGER NOT NULL REFERENCES municipalities(id),
    ward_id          INTEGER REFERENCES wards(id),
    plan_period      TEXT NOT NULL,
    body             TEXT NOT NULL DEFAULT '',
    sharing          TEXT NOT NULL,
    cycle_years      INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX visions_municipality ON visions (municipality_id, plan_period) WHERE ward_id IS NULL;
CREATE UNIQUE INDEX visions_ward ON visions (ward_id, plan_period) WHERE ward_id IS NOT NULL;

-- 目標 per scene of a vision.
CREATE TABLE vision_goals (
    vision_id  INTEGER NOT NULL REFERENCES visions(id) ON DELETE CASCADE,
    scene      TEXT NOT NULL,
    goal       TEXT NOT NULL,
    PRIMARY KEY (vision_id, scene)
);

-- 評価指標 of a municipality. level: ストラクチャー / プロセス / アウトプット /
-- 中間アウトカム / 最終アウトカム; direction: ↑ / ↓ / →; frequency: 年度 / 半期.
-- Values are exact decimals as text (`12.5`), never floats; periods are
-- calendar::Span codes (`2026`, `2026H1`).
CREATE TABLE indicators (
    id               INTEGER PRIMARY KEY,
    municipality_id  INTEGER NOT NULL REFERENCES municipalities(id),
    name             TEXT NOT NULL,
    level            TEXT NOT NULL,
    unit             TEXT NOT NULL DEFAULT '',
    definition       TEXT NOT NULL DEFAULT '',
    data_source      TEXT NOT NULL,
    direction        TEXT NOT NULL,
    baseline_value   TEXT,
    baseline_period  TEXT,
    target_value     TEXT,
    target_period    TEXT,
    frequency        TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (municipality_id, name)
);

-- The scenes an indicator measures.
CREATE TABLE indicator_scenes (
    indicator_id  INTEGER NOT NULL REFERENCES indicators(id) ON DELETE CASCADE,
    scene         TEXT NOT NULL,
    PRIMARY KEY (indicator_id, scene)
);

-- Measured values: per ward (or the municipality as a whole, ward_id NULL)
-- × indicator × period; a new value for the same three replaces the row
-- (audited). recorded_by: the audit actor (`account:<id>`), no names.
CREATE TABLE indicator_values (
    id               INTEGER PRIMARY KEY,
    indicator_id     INTEGER NOT NULL REFERENCES indicators(id),
    municipality_id  INTEGER NOT NULL REFERENCES municipalities(id),
    ward_id          INTEGER REFERENCES wards(id),
    period           TEXT NOT NULL,
    value            TEXT NOT NULL,
    recorded_by      TEXT,
    recorded_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX indicator_values_ward ON indicator_values (indicator_id, ward_id, period) WHERE ward_id IS NOT NULL;
CREATE UNIQUE INDEX indicator_values_city ON indicator_values (indicator_id, period) WHERE ward_id IS NULL;
CREATE INDEX indicator_values_by_ward ON indicator_values (ward_id, indicator_id, period);

-- Several scenes per countermeasure (was the one `countermeasures.scene`,
-- carried over here and no longer written).
CREATE TABLE countermeasure_scenes (
    countermeasure_id  INTEGER NOT NULL REFERENCES countermeasures(id),
    scene              TEXT NOT NULL,
    PRIMARY KEY (countermeasure_id, scene)
);
INSERT INTO countermeasure_scenes (countermeasure_id, scene)
    SELECT id, scene FROM countermeasures WHERE scene IS NOT NULL AND scene <> '';

-- The indicators a countermeasure answers to.
CREATE TABLE countermeasure_indicators (
    countermeasure_id  INTEGER NOT NULL REFERENCES countermeasures(id),
    indicator_id       INTEGER NOT NULL REFERENCES indicators(id),
    PRIMARY KEY (countermeasure_id, indicator_id)
);
CREATE INDEX countermeasure_indicators_indicator ON countermeasure_indicators (indicator_id);

-- The verdict of the latest evaluation (達成 / 一部達成 / 未達成, shown A/B/C;
-- NULL: 未記録, rows from before this migration) and its reason.
-- cycle: the round the countermeasure is in, from 1; above 1 it has
-- completed a round (次のサイクルへ) and counts as 評価改善 for its
-- ward's topic stage.
ALTER TABLE countermeasures ADD COLUMN verdict TEXT;
ALTER TABLE countermeasures ADD COLUMN verdict_reason TEXT;
ALTER TABLE countermeasures ADD COLUMN cycle INTEGER NOT NULL DEFAULT 1;

-- The history keeps each evaluation's verdict and, as JSON, the linked
-- indicators' latest values at that moment.
ALTER TABLE countermeasure_events ADD COLUMN verdict TEXT;
ALTER TABLE countermeasure_events ADD COLUMN verdict_reason TEXT;
ALTER TABLE countermeasure_events ADD COLUMN indicator_values TEXT;
