-- name: migration_lock_timeout
-- For the rest of the migrating transaction: give up on a table lock that a long transaction of
-- the portal holds, rather than queue every write of the portal behind the waiting ALTER.
SELECT set_config('lock_timeout', %(lock_timeout)s, true)
