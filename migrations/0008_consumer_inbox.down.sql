DROP TABLE IF EXISTS consumer_inbox;
