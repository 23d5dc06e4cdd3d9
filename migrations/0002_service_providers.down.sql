DROP TABLE IF EXISTS service_providers;
