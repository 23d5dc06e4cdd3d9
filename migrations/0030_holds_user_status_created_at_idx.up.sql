-- Holds pages filtered by status (`?status=PENDING`, a wallet's open holds, above all):
-- an ordered range of this index, read until the page is full. Without it the planner
-- ANDs the wallet's range of holds_user_id_created_at_id_idx with holds_pending_expiry_idx
-- (every open hold of the platform), fetches each of the wallet's open holds and sorts
-- them, so a page cost what the wallet's open holds cost.
--
-- CONCURRENTLY, the file's ONLY statement (see 0012). If the build fails it leaves an
-- INVALID index and a dirty version: run the down file's statement by hand,
-- `make migrate-force V=29`, then `make migrate-up`.
CREATE INDEX CONCURRENTLY holds_user_id_status_created_at_id_idx
    ON holds (user_id, status, created_at DESC, id DESC);
