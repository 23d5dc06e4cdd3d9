-- Reference data: who can be paid. Seed rows have fixed ids so clients and tests can rely on them.
CREATE TABLE service_providers (
    id     uuid    PRIMARY KEY,
    name   text    NOT NULL UNIQUE,
    active boolean NOT NULL DEFAULT true
);

INSERT INTO service_providers (id, name, active) VALUES
    ('01890a5d-ac96-774b-bcce-b302099a8057', 'City Power & Light', true),
    ('01890a5d-ac96-7e3a-9f6b-5c2d8e1f4a01', 'Metro Water Utility', true),
    ('01890a5d-ac96-7a1c-8d4e-6b3f9c2e5d02', 'Nimbus Mobile', true),
    ('01890a5d-ac96-7b2d-9e5f-7c4a0d3f6e03', 'FiberNet Internet', true),
    ('01890a5d-ac96-7c3e-8f60-8d5b1e4a7f04', 'Legacy Gas Co (retired)', false);
