-- Tenant-scoped chunks for the pgvector backend, under row-level security.
-- Rendered by governed_assistant.runtime.retrieval.migration (placeholders {{dimensions}} and
-- {{reader_role}}), applied as the table owner in one transaction: by the retrieval setup
-- function on deploy (Data API), by the local stack and the tests (psycopg). Idempotent.

CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE IF NOT EXISTS governed_chunks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id text NOT NULL CHECK (length(tenant_id) BETWEEN 1 AND 128),
    source text NOT NULL,
    chunk_index integer NOT NULL CHECK (chunk_index >= 0),
    content text NOT NULL,
    embedding vector({{dimensions}}) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, source, chunk_index)
);

-- Every query is one tenant's: the policy's equality uses this index.
CREATE INDEX IF NOT EXISTS governed_chunks_tenant ON governed_chunks (tenant_id);

-- FORCE: the owner is bound too, so only a superuser or a BYPASSRLS role sees across tenants.
ALTER TABLE governed_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE governed_chunks FORCE ROW LEVEL SECURITY;

-- The tenant is set per transaction (set_config('app.tenant_id', $1, true)). Unset, the
-- setting is NULL (or '' after an earlier transaction set it): neither equals any tenant_id.
DROP POLICY IF EXISTS governed_chunks_tenant_isolation ON governed_chunks;
CREATE POLICY governed_chunks_tenant_isolation ON governed_chunks
    FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''))
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''));

-- The reason function's role: it logs in, reads, and nothing else; never the owner, no BYPASSRLS.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{{reader_role}}') THEN
        CREATE ROLE {{reader_role}} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
    -- Only a superuser may change these attributes; refuse to go on rather than leave a hole.
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{{reader_role}}' AND (rolsuper OR rolbypassrls)) THEN
        RAISE EXCEPTION 'role {{reader_role}} is a superuser or BYPASSRLS, so row-level security cannot bind it; '
            'ALTER ROLE {{reader_role}} NOSUPERUSER NOBYPASSRLS as a superuser, then deploy again';
    END IF;
END
$$;

REVOKE ALL ON governed_chunks FROM PUBLIC;
GRANT SELECT ON governed_chunks TO {{reader_role}};
