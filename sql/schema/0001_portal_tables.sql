-- The portal's own tables, as its ORM (Pony, bqp_database_access) creates them on PostgreSQL:
-- the same names, columns, types, keys and constraint names (their indexes follow in 0002). On
-- a database where the portal already has them, every statement here finds its table and does
-- nothing, taking no lock; on an empty database it creates them. Only the tables the job module reads or writes are here; the foreign keys to
-- tables of the portal's other modules (security levels) stay theirs.
--
-- Absent text is '' (NOT NULL) and times are naive local times, as the ORM writes them.

CREATE TABLE IF NOT EXISTS "user" (
    "identity" text PRIMARY KEY,
    "note" text NOT NULL,
    "email" text NOT NULL,
    "affiliation" text NOT NULL,
    "association" text NOT NULL,
    "security_level" text NOT NULL,
    "superuser_level" text,
    "owner" text
        CONSTRAINT "fk_user__owner" REFERENCES "user" ("identity") ON DELETE SET NULL,
    "blocked" boolean NOT NULL,
    "block_reason" text NOT NULL,
    "secret_hash" text NOT NULL,
    "force_secret_reset" boolean NOT NULL,
    "last_login" timestamp,
    "last_secret_change" timestamp
);

CREATE TABLE IF NOT EXISTS "user_group" (
    "name" text PRIMARY KEY,
    "note" text NOT NULL,
    "owner" text NOT NULL
        CONSTRAINT "fk_user_group__owner" REFERENCES "user" ("identity") ON DELETE CASCADE,
    "cost_modifier" double precision NOT NULL
);

CREATE TABLE IF NOT EXISTS "users_in_user_groups" (
    "user" text NOT NULL
        CONSTRAINT "fk_users_in_user_groups__user" REFERENCES "user" ("identity")
        ON DELETE CASCADE,
    "usergroup" text NOT NULL
        CONSTRAINT "fk_users_in_user_groups__usergroup" REFERENCES "user_group" ("name")
        ON DELETE CASCADE,
    PRIMARY KEY ("user", "usergroup")
);

CREATE TABLE IF NOT EXISTS "budget" (
    "name" text PRIMARY KEY,
    "note" text NOT NULL,
    "owner" text NOT NULL
        CONSTRAINT "fk_budget__owner" REFERENCES "user" ("identity") ON DELETE CASCADE,
    "credits" integer NOT NULL
);

CREATE TABLE IF NOT EXISTS "user_groups_in_budgets" (
    "budget" text NOT NULL
        CONSTRAINT "fk_user_groups_in_budgets__budget" REFERENCES "budget" ("name")
        ON DELETE CASCADE,
    "usergroup" text NOT NULL
        CONSTRAINT "fk_user_groups_in_budgets__usergroup" REFERENCES "user_group" ("name")
        ON DELETE CASCADE,
    PRIMARY KEY ("budget", "usergroup")
);

CREATE TABLE IF NOT EXISTS "resource" (
    "name" text PRIMARY KEY,
    "note" text NOT NULL,
    "maintenance" boolean NOT NULL,
    "qubits" integer NOT NULL,
    "connectivity" text NOT NULL,
    "instructions" text NOT NULL,
    "quantum_technology" text NOT NULL,
    "resource_cost_modifier" double precision NOT NULL,
    "security_level" text NOT NULL,
    "num_queued_jobs" integer NOT NULL
);

-- resource_name is not a foreign key in the portal either: '' is a target by technology only,
-- and a name may have no resource row yet.
CREATE TABLE IF NOT EXISTS "target_specification" (
    "name" text PRIMARY KEY,
    "note" text NOT NULL,
    "specification_type" text NOT NULL,
    "minimum_qubits" text NOT NULL,
    "quantum_technology" text NOT NULL,
    "resource_name" text NOT NULL
);

CREATE TABLE IF NOT EXISTS "circuit_job" (
    "id" serial PRIMARY KEY,
    "note" text NOT NULL,
    "status" text NOT NULL,
    "shots" integer NOT NULL,
    "circuit" text NOT NULL,
    "circuit_format" text NOT NULL,
    "no_modify" boolean NOT NULL,
    "timestamp_submitted" timestamp NOT NULL,
    "timestamp_scheduled" timestamp,
    "timestamp_completed" timestamp,
    "timestamp_cancelled" timestamp,
    "cost" integer,
    "result" text NOT NULL,
    "owner" text NOT NULL
        CONSTRAINT "fk_circuit_job__owner" REFERENCES "user" ("identity") ON DELETE CASCADE,
    "budget" text NOT NULL
        CONSTRAINT "fk_circuit_job__budget" REFERENCES "budget" ("name") ON DELETE CASCADE,
    "executed_resource" text
        CONSTRAINT "fk_circuit_job__executed_resource" REFERENCES "resource" ("name")
        ON DELETE SET NULL,
    "target_specification" text NOT NULL
        CONSTRAINT "fk_circuit_job__target_specification"
        REFERENCES "target_specification" ("name") ON DELETE CASCADE,
    "executed_circuit" text NOT NULL,
    "queued" boolean NOT NULL
);

CREATE TABLE IF NOT EXISTS "hamiltonian_job" (
    "id" serial PRIMARY KEY,
    "note" text NOT NULL,
    "status" text NOT NULL,
    "interaction_str" text NOT NULL,
    "coefficients_str" text NOT NULL,
    "no_modify" boolean NOT NULL,
    "timestamp_submitted" timestamp NOT NULL,
    "timestamp_scheduled" timestamp,
    "timestamp_completed" timestamp,
    "timestamp_cancelled" timestamp,
    "cost" integer,
    "result" text NOT NULL,
    "owner" text NOT NULL
        CONSTRAINT "fk_hamiltonian_job__owner" REFERENCES "user" ("identity") ON DELETE CASCADE,
    "budget" text NOT NULL
        CONSTRAINT "fk_hamiltonian_job__budget" REFERENCES "budget" ("name") ON DELETE CASCADE,
    "executed_resource" text
        CONSTRAINT "fk_hamiltonian_job__executed_resource" REFERENCES "resource" ("name")
        ON DELETE SET NULL,
    "target_specification" text NOT NULL
        CONSTRAINT "fk_hamiltonian_job__target_specification"
        REFERENCES "target_specification" ("name") ON DELETE CASCADE
);

-- The token module's accounting of which token paid for a job. The job package only reads it
-- (a job's `token_usage` key in to_dict(), as the old entity gave it); the foreign key to the
-- token module's own table stays that module's.
CREATE TABLE IF NOT EXISTS "token_usage" (
    "id" serial PRIMARY KEY,
    "job" integer NOT NULL
        CONSTRAINT "fk_token_usage__job" REFERENCES "circuit_job" ("id"),
    "token" text NOT NULL
);
