"""Shared test support for the wallet workspace (dev only: no production package imports it).

- `polling`: `eventually`, poll-until-true with a timeout;
- `processes`: services as subprocesses (env, logs, graceful stop, health wait);
- `amqp`: virtual hosts, queue readers and collectors, dead-letter inspection, publishing;
- `db`: private migrated databases, ad-hoc queries;
- `metrics`: Prometheus text parsing and sample lookups;
- `api`: the API in-process behind a mock gateway, and a typed client over it;
- `consumers`: FastStream consumer-app helpers (settlement recorder, broker, no pause);
- `contract_docs`: exporting and checking the committed OpenAPI / AsyncAPI documents.
"""
