-- A PostgreSQL catalog written by genomdb 0fbd678 (every domain's persistence under catalog/), dumped with
-- pg_dump --inserts and cleaned of psql commands; tests/db/test_layout_upgrade.py loads it into a fresh schema.
SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;
SET default_tablespace = '';
SET default_table_access_method = heap;
CREATE TABLE {schema}.access_audit (
    seq bigint NOT NULL,
    at timestamp with time zone NOT NULL,
    actor character varying(64) NOT NULL,
    actor_role character varying(16),
    actor_department character varying(32),
    action character varying(32) NOT NULL,
    resource_kind character varying(16) NOT NULL,
    resource_id character varying(200) NOT NULL,
    person character varying(40),
    decision character varying(8) NOT NULL,
    rule character varying(40) NOT NULL,
    grant_id character varying(32),
    legal_basis text,
    detail json NOT NULL,
    prev_hash character varying(64) NOT NULL,
    entry_hash character varying(64) NOT NULL
);
CREATE TABLE {schema}.access_audit_head (
    id integer NOT NULL,
    seq bigint NOT NULL,
    entry_hash character varying(64) NOT NULL
);
CREATE TABLE {schema}.access_grants (
    id character varying(32) NOT NULL,
    grantee_user_id integer,
    grantee_department_id integer,
    scope json NOT NULL,
    purpose character varying(16) NOT NULL,
    reference character varying(200) NOT NULL,
    project character varying(100),
    legal_basis text NOT NULL,
    granted_by_id integer NOT NULL,
    granted_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone,
    revoked_by_id integer,
    revoke_reason text
);
CREATE TABLE {schema}.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE {schema}.analyses (
    id integer NOT NULL,
    submission_version_id integer NOT NULL,
    analysis_ref character varying(64) NOT NULL,
    pipeline_name character varying(200) NOT NULL,
    pipeline_version character varying(100) NOT NULL,
    reference_build character varying(16) NOT NULL
);
CREATE SEQUENCE {schema}.analyses_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE {schema}.analyses_id_seq OWNED BY {schema}.analyses.id;
CREATE TABLE {schema}.analysis_files (
    analysis_id integer NOT NULL,
    file_id integer NOT NULL,
    role character varying(8) NOT NULL
);
CREATE TABLE {schema}.analysis_samples (
    analysis_id integer NOT NULL,
    sample_id integer NOT NULL
);
CREATE TABLE {schema}.api_tokens (
    id character varying(16) NOT NULL,
    user_id integer NOT NULL,
    secret_sha256 character varying(64) NOT NULL,
    label character varying(200) NOT NULL,
    created_by_id integer,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone,
    revoked_by_id integer
);
CREATE TABLE {schema}.batch_samples (
    sample_id integer NOT NULL,
    batch_id character varying(40) NOT NULL,
    file_id integer NOT NULL
);
CREATE TABLE {schema}.blobs (
    sha256 character varying(64) NOT NULL,
    size bigint NOT NULL,
    md5 character varying(32) NOT NULL,
    tier character varying(8) NOT NULL,
    encrypted boolean NOT NULL,
    stored_at timestamp with time zone NOT NULL
);
CREATE TABLE {schema}.classification_assertions (
    id integer NOT NULL,
    assertion_id character varying(32) NOT NULL,
    department_id integer NOT NULL,
    variant_key character varying(2000) NOT NULL,
    condition_key character varying(500) NOT NULL,
    current_version integer NOT NULL,
    created_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE {schema}.classification_assertions_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE {schema}.classification_assertions_id_seq OWNED BY {schema}.classification_assertions.id;
CREATE TABLE {schema}.classification_conflict_events (
    id integer NOT NULL,
    conflict_pk integer NOT NULL,
    at timestamp with time zone NOT NULL,
    state character varying(32) NOT NULL,
    actor character varying(200) NOT NULL,
    note text NOT NULL
);
CREATE SEQUENCE {schema}.classification_conflict_events_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE {schema}.classification_conflict_events_id_seq OWNED BY {schema}.classification_conflict_events.id;
CREATE TABLE {schema}.classification_conflicts (
    id integer NOT NULL,
    conflict_id character varying(32) NOT NULL,
    variant_key character varying(2000) NOT NULL,
    category character varying(32) NOT NULL,
    departments json NOT NULL,
    classes json NOT NULL,
    signature character varying(1000) NOT NULL,
    state character varying(32) NOT NULL,
    opened_at timestamp with time zone NOT NULL,
    opened_by_version_pk bigint NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    resolution text,
    resolved_at timestamp with time zone
);
CREATE SEQUENCE {schema}.classification_conflicts_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE {schema}.classification_conflicts_id_seq OWNED BY {schema}.classification_conflicts.id;
CREATE TABLE {schema}.classification_crossings (
    id integer NOT NULL,
    crossing_id character varying(32) NOT NULL,
    variant_key character varying(2000) NOT NULL,
    direction character varying(32) NOT NULL,
    before_term character varying(64) NOT NULL,
    after_term character varying(64) NOT NULL,
    trigger_version_pk bigint NOT NULL,
    at timestamp with time zone NOT NULL
);
CREATE SEQUENCE {schema}.classification_crossings_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE {schema}.classification_crossings_id_seq OWNED BY {schema}.classification_crossings.id;
CREATE TABLE {schema}.classification_frequency_thresholds (
    gene character varying(32) NOT NULL,
    ba1_above double precision NOT NULL,
    bs1_above double precision NOT NULL,
    pm2_below double precision NOT NULL,
    pm2_label character varying(32) NOT NULL,
    source text NOT NULL,
    updated_at timestamp with time zone NOT NULL
);
CREATE TABLE {schema}.classification_imports (
    id integer NOT NULL,
    import_id character varying(32) NOT NULL,
    department_id integer NOT NULL,
    file_name character varying(1000) NOT NULL,
    file_sha256 character varying(64) NOT NULL,
    file_format character varying(8) NOT NULL,
    n_rows integer NOT NULL,
    n_new_versions integer NOT NULL,
    recorded_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE {schema}.classification_imports_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE {schema}.classification_imports_id_seq OWNED BY {schema}.classification_imports.id;
CREATE TABLE {schema}.classification_sequence_digests (
    build character varying(16) NOT NULL,
    contig character varying(64) NOT NULL,
    fingerprint character varying(200) NOT NULL,
    length bigint NOT NULL,
    refget_accession character varying(40) NOT NULL,
    computed_at timestamp with time zone NOT NULL
);
CREATE TABLE {schema}.classification_versions (
    id bigint NOT NULL,
    assertion_pk integer NOT NULL,
    version integer NOT NULL,
    status character varying(16) NOT NULL,
    department_id integer NOT NULL,
    variant_key character varying(2000) NOT NULL,
    vrs_allele_id character varying(48) NOT NULL,
    acmg_class character varying(32) NOT NULL,
    supported_class character varying(32) NOT NULL,
    criteria character varying(500) NOT NULL,
    condition_name character varying(500) NOT NULL,
    condition_id character varying(32),
    inheritance character varying(16) NOT NULL,
    gene character varying(32),
    transcript character varying(64),
    hgvs_c character varying(500),
    hgvs_p character varying(500),
    evidence text NOT NULL,
    classifier character varying(200) NOT NULL,
    asserted_on date NOT NULL,
    recorded_at timestamp with time zone NOT NULL,
    reason text,
    source character varying(16) NOT NULL,
    import_pk integer
);
CREATE SEQUENCE {schema}.classification_versions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE {schema}.classification_versions_id_seq OWNED BY {schema}.classification_versions.id;
CREATE TABLE {schema}.classification_worklist_entries (
    id integer NOT NULL,
    crossing_pk integer NOT NULL,
    department_id integer NOT NULL,
    person_id integer NOT NULL,
    sample_id integer NOT NULL,
    alt_count integer NOT NULL
);
CREATE SEQUENCE {schema}.classification_worklist_entries_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE {schema}.classification_worklist_entries_id_seq OWNED BY {schema}.classification_worklist_entries.id;
CREATE TABLE {schema}.dataout_requests (
    id character varying(32) NOT NULL,
    user_id integer NOT NULL,
    status character varying(16) NOT NULL,
    spec json NOT NULL,
    purpose character varying(16),
    grant_id character varying(32),
    message text,
    waiting_for json,
    n_parts integer,
    total_bytes bigint,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    completed_at timestamp with time zone
);
CREATE TABLE {schema}.departments (
    id integer NOT NULL,
    code character varying(32) NOT NULL,
    name character varying(200) NOT NULL,
    region_id integer NOT NULL
);
CREATE SEQUENCE {schema}.departments_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE {schema}.departments_id_seq OWNED BY {schema}.departments.id;
CREATE TABLE {schema}.file_samples (
    file_id integer NOT NULL,
    sample_id integer NOT NULL
);
CREATE TABLE {schema}.files (
    id integer NOT NULL,
    submission_version_id integer NOT NULL,
    file_ref character varying(64) NOT NULL,
    run_id integer,
    mate_ref character varying(64),
    format character varying(8) NOT NULL,
    original_path character varying(1000),
    size bigint NOT NULL,
    sha256 character varying(64) NOT NULL,
    md5 character varying(32) NOT NULL,
    index_sha256 character varying(64),
    index_name character varying(16),
    facts json
);
CREATE SEQUENCE {schema}.files_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE {schema}.files_id_seq OWNED BY {schema}.files.id;
CREATE TABLE {schema}.frequency_release_batches (
    release_id character varying(40) NOT NULL,
    batch_id character varying(40) NOT NULL,
    manifest_sha256 character varying(64) NOT NULL
);
CREATE TABLE {schema}.frequency_release_samples (
    release_id character varying(40) NOT NULL,
    sample_id integer NOT NULL
);
CREATE TABLE {schema}.frequency_releases (
    release_id character varying(40) NOT NULL,
    sequence integer NOT NULL,
    parent_id character varying(40),
    created_at timestamp with time zone NOT NULL,
    path character varying(500) NOT NULL,
    manifest_sha256 character varying(64) NOT NULL,
    mode character varying(16) NOT NULL,
    n_samples integer NOT NULL,
    n_variants integer NOT NULL,
    n_batches integer NOT NULL,
    strata json NOT NULL
);
CREATE TABLE {schema}.persons (
    id integer NOT NULL,
    pseudonym character varying(40) NOT NULL,
    birth_year integer,
    declared_sex character varying(8),
    research_opt_out boolean NOT NULL,
    created_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE {schema}.persons_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE {schema}.persons_id_seq OWNED BY {schema}.persons.id;
CREATE TABLE {schema}.regions (
    id integer NOT NULL,
    code character varying(32) NOT NULL,
    name character varying(200) NOT NULL
);
CREATE SEQUENCE {schema}.regions_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE {schema}.regions_id_seq OWNED BY {schema}.regions.id;
CREATE TABLE {schema}.relationships (
    id integer NOT NULL,
    person_id integer NOT NULL,
    relation character varying(16) NOT NULL,
    relative_id integer NOT NULL,
    submission_version_id integer NOT NULL
);
CREATE SEQUENCE {schema}.relationships_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE {schema}.relationships_id_seq OWNED BY {schema}.relationships.id;
CREATE TABLE {schema}.runs (
    id integer NOT NULL,
    submission_version_id integer NOT NULL,
    run_ref character varying(64) NOT NULL,
    sample_id integer NOT NULL,
    platform character varying(16) NOT NULL,
    read_type character varying(8) NOT NULL,
    instrument character varying(200),
    library_strategy character varying(32) NOT NULL,
    library_id character varying(200),
    run_date date
);
CREATE SEQUENCE {schema}.runs_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE {schema}.runs_id_seq OWNED BY {schema}.runs.id;
CREATE TABLE {schema}.sample_qc (
    sample_id integer NOT NULL,
    batch_id character varying(40) NOT NULL,
    n_calls bigint NOT NULL,
    n_passing_calls bigint NOT NULL,
    call_rate double precision,
    callable_bases bigint NOT NULL,
    target_bases bigint,
    callable_fraction double precision,
    n_snv bigint NOT NULL,
    n_indel bigint NOT NULL,
    ti_tv double precision,
    n_het bigint NOT NULL,
    n_hom_var bigint NOT NULL,
    het_hom_ratio double precision,
    chrx_heterozygosity double precision,
    chrx_n_calls integer NOT NULL,
    inferred_sex character varying(8) NOT NULL,
    declared_sex character varying(8),
    ploidy_sex character varying(8),
    flags json NOT NULL,
    flagged boolean NOT NULL
);
CREATE TABLE {schema}.samples (
    id integer NOT NULL,
    sample_key character varying(32) NOT NULL,
    submission_version_id integer NOT NULL,
    department_id integer NOT NULL,
    submitter_sample_id character varying(64) NOT NULL,
    person_id integer NOT NULL,
    tissue character varying(64) NOT NULL,
    collection_date date,
    withdrawn boolean NOT NULL
);
CREATE SEQUENCE {schema}.samples_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE {schema}.samples_id_seq OWNED BY {schema}.samples.id;
CREATE TABLE {schema}.submission_events (
    id integer NOT NULL,
    submission_id character varying(32) NOT NULL,
    version integer,
    at timestamp with time zone NOT NULL,
    kind character varying(32) NOT NULL,
    detail json
);
CREATE SEQUENCE {schema}.submission_events_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE {schema}.submission_events_id_seq OWNED BY {schema}.submission_events.id;
CREATE TABLE {schema}.submission_versions (
    id integer NOT NULL,
    submission_id character varying(32) NOT NULL,
    version integer NOT NULL,
    status character varying(16) NOT NULL,
    reason text,
    manifest_name character varying(500) NOT NULL,
    title character varying(500),
    manifest json,
    content_digest character varying(64),
    report json,
    created_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE {schema}.submission_versions_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE {schema}.submission_versions_id_seq OWNED BY {schema}.submission_versions.id;
CREATE TABLE {schema}.submissions (
    id character varying(32) NOT NULL,
    department_id integer,
    department_code character varying(64) NOT NULL,
    status character varying(16) NOT NULL,
    current_version integer,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);
CREATE TABLE {schema}.users (
    id integer NOT NULL,
    username character varying(64) NOT NULL,
    role character varying(16) NOT NULL,
    department_id integer,
    active boolean NOT NULL,
    public_key character varying(64),
    created_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE {schema}.users_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE {schema}.users_id_seq OWNED BY {schema}.users.id;
CREATE TABLE {schema}.variant_batches (
    batch_id character varying(40) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    schema_version integer NOT NULL,
    reference_build character varying(16) NOT NULL,
    filters json NOT NULL,
    n_samples integer NOT NULL,
    n_calls bigint NOT NULL,
    n_blocks bigint NOT NULL,
    manifest_sha256 character varying(64) NOT NULL
);
ALTER TABLE ONLY {schema}.analyses ALTER COLUMN id SET DEFAULT nextval('{schema}.analyses_id_seq'::regclass);
ALTER TABLE ONLY {schema}.classification_assertions ALTER COLUMN id SET DEFAULT nextval('{schema}.classification_assertions_id_seq'::regclass);
ALTER TABLE ONLY {schema}.classification_conflict_events ALTER COLUMN id SET DEFAULT nextval('{schema}.classification_conflict_events_id_seq'::regclass);
ALTER TABLE ONLY {schema}.classification_conflicts ALTER COLUMN id SET DEFAULT nextval('{schema}.classification_conflicts_id_seq'::regclass);
ALTER TABLE ONLY {schema}.classification_crossings ALTER COLUMN id SET DEFAULT nextval('{schema}.classification_crossings_id_seq'::regclass);
ALTER TABLE ONLY {schema}.classification_imports ALTER COLUMN id SET DEFAULT nextval('{schema}.classification_imports_id_seq'::regclass);
ALTER TABLE ONLY {schema}.classification_versions ALTER COLUMN id SET DEFAULT nextval('{schema}.classification_versions_id_seq'::regclass);
ALTER TABLE ONLY {schema}.classification_worklist_entries ALTER COLUMN id SET DEFAULT nextval('{schema}.classification_worklist_entries_id_seq'::regclass);
ALTER TABLE ONLY {schema}.departments ALTER COLUMN id SET DEFAULT nextval('{schema}.departments_id_seq'::regclass);
ALTER TABLE ONLY {schema}.files ALTER COLUMN id SET DEFAULT nextval('{schema}.files_id_seq'::regclass);
ALTER TABLE ONLY {schema}.persons ALTER COLUMN id SET DEFAULT nextval('{schema}.persons_id_seq'::regclass);
ALTER TABLE ONLY {schema}.regions ALTER COLUMN id SET DEFAULT nextval('{schema}.regions_id_seq'::regclass);
ALTER TABLE ONLY {schema}.relationships ALTER COLUMN id SET DEFAULT nextval('{schema}.relationships_id_seq'::regclass);
ALTER TABLE ONLY {schema}.runs ALTER COLUMN id SET DEFAULT nextval('{schema}.runs_id_seq'::regclass);
ALTER TABLE ONLY {schema}.samples ALTER COLUMN id SET DEFAULT nextval('{schema}.samples_id_seq'::regclass);
ALTER TABLE ONLY {schema}.submission_events ALTER COLUMN id SET DEFAULT nextval('{schema}.submission_events_id_seq'::regclass);
ALTER TABLE ONLY {schema}.submission_versions ALTER COLUMN id SET DEFAULT nextval('{schema}.submission_versions_id_seq'::regclass);
ALTER TABLE ONLY {schema}.users ALTER COLUMN id SET DEFAULT nextval('{schema}.users_id_seq'::regclass);
INSERT INTO {schema}.access_audit VALUES (1, '2026-12-06 21:15:00.092758+00', 'root', 'admin', NULL, 'manage-users', 'user', 'root', NULL, 'allowed', 'bootstrap-first-user', NULL, 'installation: the first administrator of a new instance', '{"role": "admin"}', '0000000000000000000000000000000000000000000000000000000000000000', '4c015fb6dbc10b9357befdb61b18613740d31682e05cd8391af4d30353b9d81f');
INSERT INTO {schema}.access_audit VALUES (2, '2026-12-06 21:15:00.18044+00', 'root', 'admin', NULL, 'manage-users', 'user', 'anna', NULL, 'allowed', 'steward-administers', NULL, 'administration of access by the data controller''s stewards', '{"role": "clinician", "department": "RH-KG"}', '4c015fb6dbc10b9357befdb61b18613740d31682e05cd8391af4d30353b9d81f', '8dd84019387379a54526e80aba4c944692f0b3304dc32ad21446efc12272b978');
INSERT INTO {schema}.access_audit VALUES (3, '2026-12-06 21:15:00.279678+00', 'root', 'admin', NULL, 'manage-users', 'token', 'anna', NULL, 'allowed', 'steward-administers', NULL, 'administration of access by the data controller''s stewards', '{"operation": "create-token", "token": "7U5JWLTDSUKS", "expires": "2027-01-05T21:15:00.266292+00:00"}', '8dd84019387379a54526e80aba4c944692f0b3304dc32ad21446efc12272b978', '1a239daaddfdfe3cfbe7d11adf7f97a0e5698e8a6f3de7dea9357e2c52c6cbb0');
INSERT INTO {schema}.access_audit_head VALUES (1, 3, '1a239daaddfdfe3cfbe7d11adf7f97a0e5698e8a6f3de7dea9357e2c52c6cbb0');
INSERT INTO {schema}.alembic_version VALUES ('variants_0001');
INSERT INTO {schema}.alembic_version VALUES ('service_0001');
INSERT INTO {schema}.alembic_version VALUES ('frequency_0001');
INSERT INTO {schema}.alembic_version VALUES ('classification_0001');
INSERT INTO {schema}.analyses VALUES (1, 1, 'a1', 'dragen', '4.2.4', 'GRCh38');
INSERT INTO {schema}.analyses VALUES (2, 1, 'a2', 'gatk', '4.5.0', 'GRCh38');
INSERT INTO {schema}.analysis_files VALUES (1, 1, 'input');
INSERT INTO {schema}.analysis_files VALUES (1, 2, 'input');
INSERT INTO {schema}.analysis_files VALUES (1, 3, 'output');
INSERT INTO {schema}.analysis_files VALUES (1, 4, 'output');
INSERT INTO {schema}.analysis_files VALUES (2, 5, 'output');
INSERT INTO {schema}.analysis_samples VALUES (1, 1);
INSERT INTO {schema}.analysis_samples VALUES (2, 2);
INSERT INTO {schema}.api_tokens VALUES ('7U5JWLTDSUKS', 2, 'ae2fe45ae38995b2a60832b119cbc667b5df2792b1e42bc7a332e3cffcc6344f', 'layout fixture', 1, '2026-12-06 21:15:00.330915+00', '2027-01-05 21:15:00.266292+00', NULL, NULL);
INSERT INTO {schema}.blobs VALUES ('3c6f53cbffbb82d75221c34ed951a9a832acf2dc62c162e24b7d16a9d3bca840', 6134, '91ac9c576be1db077c43239c380c7303', 'hot', false, '2026-12-06 21:14:59.797742+00');
INSERT INTO {schema}.blobs VALUES ('dde2200832dff538f416f77ecc25c7c731bd67facabf84c44641408b8562c360', 6151, 'ea94995b45afe39a960d40663c65776e', 'hot', false, '2026-12-06 21:14:59.797742+00');
INSERT INTO {schema}.blobs VALUES ('f05c03aadada66f5b84760400ed0248d6e2f65c24b0bb52fe4d6d4dbdf3fb4a6', 8863, 'c9f0872ed4a9126ebb2d3ea776a082fb', 'hot', false, '2026-12-06 21:14:59.797742+00');
INSERT INTO {schema}.blobs VALUES ('ddaf62040c4bc9c3f2b614cb7067403cf049d1d31ad8f06b54415df5b231098e', 288, '3af400e47c2ed4936acebc93d12c253a', 'hot', false, '2026-12-06 21:14:59.797742+00');
INSERT INTO {schema}.blobs VALUES ('eee9921e3f30274fcace98de8571da5fc1ca88130e4a1eefe2dd08189d2f3f78', 642, '88e807d2f9aa82b5e9ad4d3c8b876812', 'hot', false, '2026-12-06 21:14:59.797742+00');
INSERT INTO {schema}.blobs VALUES ('78466409e7fc81676b7b092d7d801b3b98b8f6df67f724272b2a39bb92b89516', 131, '8c13568c5086e3b9006386acc497ba69', 'hot', false, '2026-12-06 21:14:59.797742+00');
INSERT INTO {schema}.blobs VALUES ('220196bc5b98a4234588a27407db172f4fb8f514dbb294b5f0def7f0c7624dbd', 539, '3fa3bdad29a635dee85d6eced9203f68', 'hot', false, '2026-12-06 21:14:59.797742+00');
INSERT INTO {schema}.blobs VALUES ('8d9bb6aa6285fd417e791620448e8cc15de4d30510636dffe1940b919db33f54', 107, '0213f8bda5da6a48c00643d913f0975f', 'hot', false, '2026-12-06 21:14:59.797742+00');
INSERT INTO {schema}.departments VALUES (1, 'RH-KG', 'Klinisk Genetisk Klinik, Rigshospitalet', 1);
INSERT INTO {schema}.departments VALUES (2, 'RH-GM', 'Genomisk Medicin, Rigshospitalet', 1);
INSERT INTO {schema}.departments VALUES (3, 'RSJ-KG', 'Klinisk Genetisk Afdeling, Sjællands Universitetshospital', 2);
INSERT INTO {schema}.departments VALUES (4, 'RSD-KG-OUH', 'Klinisk Genetisk Afdeling, Odense Universitetshospital', 3);
INSERT INTO {schema}.departments VALUES (5, 'RSD-KG-VEJ', 'Klinisk Genetisk Afdeling, Sygehus Lillebælt Vejle', 3);
INSERT INTO {schema}.departments VALUES (6, 'RM-KG', 'Klinisk Genetisk Afdeling, Aarhus Universitetshospital', 4);
INSERT INTO {schema}.departments VALUES (7, 'RN-KG', 'Klinisk Genetisk Afdeling, Aalborg Universitetshospital', 5);
INSERT INTO {schema}.file_samples VALUES (1, 1);
INSERT INTO {schema}.file_samples VALUES (2, 1);
INSERT INTO {schema}.file_samples VALUES (3, 1);
INSERT INTO {schema}.file_samples VALUES (4, 1);
INSERT INTO {schema}.file_samples VALUES (5, 2);
INSERT INTO {schema}.files VALUES (1, 1, 'r1', 1, 'r2', 'FASTQ', 'child_R1.fastq.gz', 6134, '3c6f53cbffbb82d75221c34ed951a9a832acf2dc62c162e24b7d16a9d3bca840', '91ac9c576be1db077c43239c380c7303', NULL, NULL, '{"n_reads": 50, "n_bases": 5000, "min_read_length": 100, "max_read_length": 100, "mean_read_length": 100.0, "quality_encoding": "phred+33"}');
INSERT INTO {schema}.files VALUES (2, 1, 'r2', 1, 'r1', 'FASTQ', 'child_R2.fastq.gz', 6151, 'dde2200832dff538f416f77ecc25c7c731bd67facabf84c44641408b8562c360', 'ea94995b45afe39a960d40663c65776e', NULL, NULL, '{"n_reads": 50, "n_bases": 5000, "min_read_length": 100, "max_read_length": 100, "mean_read_length": 100.0, "quality_encoding": "phred+33"}');
INSERT INTO {schema}.files VALUES (3, 1, 'bam', NULL, NULL, 'BAM', 'child.bam', 8863, 'f05c03aadada66f5b84760400ed0248d6e2f65c24b0bb52fe4d6d4dbdf3fb4a6', 'c9f0872ed4a9126ebb2d3ea776a082fb', 'ddaf62040c4bc9c3f2b614cb7067403cf049d1d31ad8f06b54415df5b231098e', 'bai', '{"sort_order": "coordinate", "is_aligned": true, "read_groups": ["rg1"], "samples": ["RH-KG-T0001"], "n_records": 205, "n_mapped": 200, "contigs": ["chr1"]}');
INSERT INTO {schema}.files VALUES (4, 1, 'gvcf', NULL, NULL, 'GVCF', 'child.g.vcf.gz', 642, 'eee9921e3f30274fcace98de8571da5fc1ca88130e4a1eefe2dd08189d2f3f78', '88e807d2f9aa82b5e9ad4d3c8b876812', '78466409e7fc81676b7b092d7d801b3b98b8f6df67f724272b2a39bb92b89516', 'tbi', '{"compression": "bgzf", "samples": ["RH-KG-T0001"], "n_records": 4, "n_variant_records": 2, "n_reference_blocks": 2, "contigs": ["chr1", "chr2"], "is_gvcf": true}');
INSERT INTO {schema}.files VALUES (5, 1, 'vcf', NULL, NULL, 'VCF', 'mother.vcf.gz', 539, '220196bc5b98a4234588a27407db172f4fb8f514dbb294b5f0def7f0c7624dbd', '3fa3bdad29a635dee85d6eced9203f68', '8d9bb6aa6285fd417e791620448e8cc15de4d30510636dffe1940b919db33f54', 'tbi', '{"compression": "bgzf", "samples": ["RH-KG-T0002"], "n_records": 1, "n_variant_records": 1, "n_reference_blocks": 0, "contigs": ["chr1"], "is_gvcf": false}');
INSERT INTO {schema}.persons VALUES (1, 'GDB-OTBWYJ2HEDIIMZCY', 1971, 'female', false, '2026-12-06 21:14:59.797742+00');
INSERT INTO {schema}.persons VALUES (2, 'GDB-A2DBHTQ2MJPULGCS', 2012, 'male', false, '2026-12-06 21:14:59.797742+00');
INSERT INTO {schema}.regions VALUES (1, 'RH', 'Region Hovedstaden');
INSERT INTO {schema}.regions VALUES (2, 'RSJ', 'Region Sjælland');
INSERT INTO {schema}.regions VALUES (3, 'RSD', 'Region Syddanmark');
INSERT INTO {schema}.regions VALUES (4, 'RM', 'Region Midtjylland');
INSERT INTO {schema}.regions VALUES (5, 'RN', 'Region Nordjylland');
INSERT INTO {schema}.relationships VALUES (1, 2, 'mother', 1, 1);
INSERT INTO {schema}.runs VALUES (1, 1, 'run1', 1, 'ILLUMINA', 'short', 'NovaSeq 6000', 'WGS', NULL, NULL);
INSERT INTO {schema}.samples VALUES (1, 'SMP-SQGOXF6RVU', 1, 1, 'RH-KG-T0001', 2, 'blood', NULL, false);
INSERT INTO {schema}.samples VALUES (2, 'SMP-3IGKUEOOZY', 1, 1, 'RH-KG-T0002', 1, 'blood', NULL, false);
INSERT INTO {schema}.submission_events VALUES (1, 'SUB-XWUFXBBR', 1, '2026-12-06 21:14:59.797742+00', 'accepted', '{"manifest": "/tmp/oldpg-kit/manifest.yaml", "n_samples": 2, "n_files": 5, "bytes_stored": 22855}');
INSERT INTO {schema}.submission_versions VALUES (1, 'SUB-XWUFXBBR', 1, 'accepted', NULL, '/tmp/oldpg-kit/manifest.yaml', 'test family', '{"schema_version": 1, "submitter": {"department": "RH-KG", "contact": null}, "title": "test family", "individuals": [{"id": "mother", "pseudonym": "GDB-OTBWYJ2HEDIIMZCY", "relatives": [], "research_opt_out": false}, {"id": "child", "pseudonym": "GDB-A2DBHTQ2MJPULGCS", "relatives": [{"relation": "mother", "individual": "mother"}], "research_opt_out": false}], "samples": [{"id": "RH-KG-T0001", "individual": "child", "tissue": "blood", "collection_date": null, "withdrawn": false}, {"id": "RH-KG-T0002", "individual": "mother", "tissue": "blood", "collection_date": null, "withdrawn": false}], "runs": [{"id": "run1", "sample": "RH-KG-T0001", "platform": "ILLUMINA", "read_type": "short", "instrument": "NovaSeq 6000", "library_strategy": "WGS", "library_id": null, "run_date": null}], "files": [{"id": "r1", "path": "child_R1.fastq.gz", "format": "FASTQ", "run": "run1", "mate": "r2", "sha256": "3c6f53cbffbb82d75221c34ed951a9a832acf2dc62c162e24b7d16a9d3bca840", "md5": null, "size": null}, {"id": "r2", "path": "child_R2.fastq.gz", "format": "FASTQ", "run": "run1", "mate": "r1", "sha256": "dde2200832dff538f416f77ecc25c7c731bd67facabf84c44641408b8562c360", "md5": null, "size": null}, {"id": "bam", "path": "child.bam", "format": "BAM", "run": null, "mate": null, "sha256": "f05c03aadada66f5b84760400ed0248d6e2f65c24b0bb52fe4d6d4dbdf3fb4a6", "md5": null, "size": null}, {"id": "gvcf", "path": "child.g.vcf.gz", "format": "GVCF", "run": null, "mate": null, "sha256": "eee9921e3f30274fcace98de8571da5fc1ca88130e4a1eefe2dd08189d2f3f78", "md5": null, "size": null}, {"id": "vcf", "path": "mother.vcf.gz", "format": "VCF", "run": null, "mate": null, "sha256": "220196bc5b98a4234588a27407db172f4fb8f514dbb294b5f0def7f0c7624dbd", "md5": null, "size": null}], "analyses": [{"id": "a1", "samples": ["RH-KG-T0001"], "pipeline": {"name": "dragen", "version": "4.2.4"}, "reference_build": "GRCh38", "inputs": ["r1", "r2"], "outputs": ["bam", "gvcf"]}, {"id": "a2", "samples": ["RH-KG-T0002"], "pipeline": {"name": "gatk", "version": "4.5.0"}, "reference_build": "GRCh38", "inputs": [], "outputs": ["vcf"]}]}', '0e549ac2253db3f106a45277c221c5fee9b757865c1fb068f07d24c0a34c860e', NULL, '2026-12-06 21:14:59.797742+00');
INSERT INTO {schema}.submissions VALUES ('SUB-XWUFXBBR', 1, 'RH-KG', 'accepted', 1, '2026-12-06 21:14:59.797742+00', '2026-12-06 21:14:59.797742+00');
INSERT INTO {schema}.users VALUES (1, 'root', 'admin', NULL, true, NULL, '2026-12-06 21:15:00.134246+00');
INSERT INTO {schema}.users VALUES (2, 'anna', 'clinician', 1, true, NULL, '2026-12-06 21:15:00.224884+00');
SELECT pg_catalog.setval('{schema}.analyses_id_seq', 2, true);
SELECT pg_catalog.setval('{schema}.classification_assertions_id_seq', 1, false);
SELECT pg_catalog.setval('{schema}.classification_conflict_events_id_seq', 1, false);
SELECT pg_catalog.setval('{schema}.classification_conflicts_id_seq', 1, false);
SELECT pg_catalog.setval('{schema}.classification_crossings_id_seq', 1, false);
SELECT pg_catalog.setval('{schema}.classification_imports_id_seq', 1, false);
SELECT pg_catalog.setval('{schema}.classification_versions_id_seq', 1, false);
SELECT pg_catalog.setval('{schema}.classification_worklist_entries_id_seq', 1, false);
SELECT pg_catalog.setval('{schema}.departments_id_seq', 7, true);
SELECT pg_catalog.setval('{schema}.files_id_seq', 5, true);
SELECT pg_catalog.setval('{schema}.persons_id_seq', 2, true);
SELECT pg_catalog.setval('{schema}.regions_id_seq', 5, true);
SELECT pg_catalog.setval('{schema}.relationships_id_seq', 1, true);
SELECT pg_catalog.setval('{schema}.runs_id_seq', 1, true);
SELECT pg_catalog.setval('{schema}.samples_id_seq', 2, true);
SELECT pg_catalog.setval('{schema}.submission_events_id_seq', 1, true);
SELECT pg_catalog.setval('{schema}.submission_versions_id_seq', 1, true);
SELECT pg_catalog.setval('{schema}.users_id_seq', 2, true);
ALTER TABLE ONLY {schema}.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY {schema}.access_audit
    ADD CONSTRAINT pk_access_audit PRIMARY KEY (seq);
ALTER TABLE ONLY {schema}.access_audit_head
    ADD CONSTRAINT pk_access_audit_head PRIMARY KEY (id);
ALTER TABLE ONLY {schema}.access_grants
    ADD CONSTRAINT pk_access_grants PRIMARY KEY (id);
ALTER TABLE ONLY {schema}.analyses
    ADD CONSTRAINT pk_analyses PRIMARY KEY (id);
ALTER TABLE ONLY {schema}.analysis_files
    ADD CONSTRAINT pk_analysis_files PRIMARY KEY (analysis_id, file_id, role);
ALTER TABLE ONLY {schema}.analysis_samples
    ADD CONSTRAINT pk_analysis_samples PRIMARY KEY (analysis_id, sample_id);
ALTER TABLE ONLY {schema}.api_tokens
    ADD CONSTRAINT pk_api_tokens PRIMARY KEY (id);
ALTER TABLE ONLY {schema}.batch_samples
    ADD CONSTRAINT pk_batch_samples PRIMARY KEY (sample_id);
ALTER TABLE ONLY {schema}.blobs
    ADD CONSTRAINT pk_blobs PRIMARY KEY (sha256);
ALTER TABLE ONLY {schema}.classification_assertions
    ADD CONSTRAINT pk_classification_assertions PRIMARY KEY (id);
ALTER TABLE ONLY {schema}.classification_conflict_events
    ADD CONSTRAINT pk_classification_conflict_events PRIMARY KEY (id);
ALTER TABLE ONLY {schema}.classification_conflicts
    ADD CONSTRAINT pk_classification_conflicts PRIMARY KEY (id);
ALTER TABLE ONLY {schema}.classification_crossings
    ADD CONSTRAINT pk_classification_crossings PRIMARY KEY (id);
ALTER TABLE ONLY {schema}.classification_frequency_thresholds
    ADD CONSTRAINT pk_classification_frequency_thresholds PRIMARY KEY (gene);
ALTER TABLE ONLY {schema}.classification_imports
    ADD CONSTRAINT pk_classification_imports PRIMARY KEY (id);
ALTER TABLE ONLY {schema}.classification_sequence_digests
    ADD CONSTRAINT pk_classification_sequence_digests PRIMARY KEY (build, contig);
ALTER TABLE ONLY {schema}.classification_versions
    ADD CONSTRAINT pk_classification_versions PRIMARY KEY (id);
ALTER TABLE ONLY {schema}.classification_worklist_entries
    ADD CONSTRAINT pk_classification_worklist_entries PRIMARY KEY (id);
ALTER TABLE ONLY {schema}.dataout_requests
    ADD CONSTRAINT pk_dataout_requests PRIMARY KEY (id);
ALTER TABLE ONLY {schema}.departments
    ADD CONSTRAINT pk_departments PRIMARY KEY (id);
ALTER TABLE ONLY {schema}.file_samples
    ADD CONSTRAINT pk_file_samples PRIMARY KEY (file_id, sample_id);
ALTER TABLE ONLY {schema}.files
    ADD CONSTRAINT pk_files PRIMARY KEY (id);
ALTER TABLE ONLY {schema}.frequency_release_batches
    ADD CONSTRAINT pk_frequency_release_batches PRIMARY KEY (release_id, batch_id);
ALTER TABLE ONLY {schema}.frequency_release_samples
    ADD CONSTRAINT pk_frequency_release_samples PRIMARY KEY (release_id, sample_id);
ALTER TABLE ONLY {schema}.frequency_releases
    ADD CONSTRAINT pk_frequency_releases PRIMARY KEY (release_id);
ALTER TABLE ONLY {schema}.persons
    ADD CONSTRAINT pk_persons PRIMARY KEY (id);
ALTER TABLE ONLY {schema}.regions
    ADD CONSTRAINT pk_regions PRIMARY KEY (id);
ALTER TABLE ONLY {schema}.relationships
    ADD CONSTRAINT pk_relationships PRIMARY KEY (id);
ALTER TABLE ONLY {schema}.runs
    ADD CONSTRAINT pk_runs PRIMARY KEY (id);
ALTER TABLE ONLY {schema}.sample_qc
    ADD CONSTRAINT pk_sample_qc PRIMARY KEY (sample_id);
ALTER TABLE ONLY {schema}.samples
    ADD CONSTRAINT pk_samples PRIMARY KEY (id);
ALTER TABLE ONLY {schema}.submission_events
    ADD CONSTRAINT pk_submission_events PRIMARY KEY (id);
ALTER TABLE ONLY {schema}.submission_versions
    ADD CONSTRAINT pk_submission_versions PRIMARY KEY (id);
ALTER TABLE ONLY {schema}.submissions
    ADD CONSTRAINT pk_submissions PRIMARY KEY (id);
ALTER TABLE ONLY {schema}.users
    ADD CONSTRAINT pk_users PRIMARY KEY (id);
ALTER TABLE ONLY {schema}.variant_batches
    ADD CONSTRAINT pk_variant_batches PRIMARY KEY (batch_id);
ALTER TABLE ONLY {schema}.classification_assertions
    ADD CONSTRAINT uq_classification_assertions_assertion_id UNIQUE (assertion_id);
ALTER TABLE ONLY {schema}.classification_assertions
    ADD CONSTRAINT uq_classification_assertions_department_id UNIQUE (department_id, variant_key, condition_key);
ALTER TABLE ONLY {schema}.classification_conflicts
    ADD CONSTRAINT uq_classification_conflicts_conflict_id UNIQUE (conflict_id);
ALTER TABLE ONLY {schema}.classification_crossings
    ADD CONSTRAINT uq_classification_crossings_crossing_id UNIQUE (crossing_id);
ALTER TABLE ONLY {schema}.classification_imports
    ADD CONSTRAINT uq_classification_imports_import_id UNIQUE (import_id);
ALTER TABLE ONLY {schema}.classification_versions
    ADD CONSTRAINT uq_classification_versions_assertion_pk UNIQUE (assertion_pk, version);
ALTER TABLE ONLY {schema}.classification_worklist_entries
    ADD CONSTRAINT uq_classification_worklist_entries_crossing_pk UNIQUE (crossing_pk, department_id, sample_id);
ALTER TABLE ONLY {schema}.departments
    ADD CONSTRAINT uq_departments_code UNIQUE (code);
ALTER TABLE ONLY {schema}.files
    ADD CONSTRAINT uq_files_submission_version_id UNIQUE (submission_version_id, file_ref);
ALTER TABLE ONLY {schema}.frequency_releases
    ADD CONSTRAINT uq_frequency_releases_sequence UNIQUE (sequence);
ALTER TABLE ONLY {schema}.persons
    ADD CONSTRAINT uq_persons_pseudonym UNIQUE (pseudonym);
ALTER TABLE ONLY {schema}.regions
    ADD CONSTRAINT uq_regions_code UNIQUE (code);
ALTER TABLE ONLY {schema}.relationships
    ADD CONSTRAINT uq_relationships_person_id UNIQUE (person_id, relation, relative_id);
ALTER TABLE ONLY {schema}.samples
    ADD CONSTRAINT uq_samples_submission_version_id UNIQUE (submission_version_id, submitter_sample_id);
ALTER TABLE ONLY {schema}.submission_versions
    ADD CONSTRAINT uq_submission_versions_submission_id UNIQUE (submission_id, version);
ALTER TABLE ONLY {schema}.users
    ADD CONSTRAINT uq_users_username UNIQUE (username);
CREATE INDEX ix_access_audit_actor ON {schema}.access_audit USING btree (actor);
CREATE INDEX ix_access_audit_at ON {schema}.access_audit USING btree (at);
CREATE INDEX ix_access_audit_person ON {schema}.access_audit USING btree (person);
CREATE INDEX ix_access_grants_grantee_department_id ON {schema}.access_grants USING btree (grantee_department_id);
CREATE INDEX ix_access_grants_grantee_user_id ON {schema}.access_grants USING btree (grantee_user_id);
CREATE INDEX ix_analyses_submission_version_id ON {schema}.analyses USING btree (submission_version_id);
CREATE INDEX ix_analysis_samples_sample_id ON {schema}.analysis_samples USING btree (sample_id);
CREATE INDEX ix_api_tokens_user_id ON {schema}.api_tokens USING btree (user_id);
CREATE INDEX ix_batch_samples_batch_id ON {schema}.batch_samples USING btree (batch_id);
CREATE INDEX ix_classification_assertions_variant_key ON {schema}.classification_assertions USING btree (variant_key);
CREATE INDEX ix_classification_conflict_events_conflict_pk ON {schema}.classification_conflict_events USING btree (conflict_pk);
CREATE INDEX ix_classification_conflicts_state ON {schema}.classification_conflicts USING btree (state);
CREATE INDEX ix_classification_conflicts_variant_key ON {schema}.classification_conflicts USING btree (variant_key);
CREATE INDEX ix_classification_crossings_variant_key ON {schema}.classification_crossings USING btree (variant_key);
CREATE INDEX ix_classification_imports_file_sha256 ON {schema}.classification_imports USING btree (file_sha256);
CREATE INDEX ix_classification_versions_department_recorded ON {schema}.classification_versions USING btree (department_id, recorded_at);
CREATE INDEX ix_classification_versions_variant_recorded ON {schema}.classification_versions USING btree (variant_key, recorded_at, assertion_pk, version);
CREATE INDEX ix_classification_versions_vrs_allele_id ON {schema}.classification_versions USING btree (vrs_allele_id);
CREATE INDEX ix_classification_worklist_entries_crossing_pk ON {schema}.classification_worklist_entries USING btree (crossing_pk);
CREATE INDEX ix_classification_worklist_entries_department_id ON {schema}.classification_worklist_entries USING btree (department_id);
CREATE INDEX ix_dataout_requests_status ON {schema}.dataout_requests USING btree (status);
CREATE INDEX ix_dataout_requests_user_id ON {schema}.dataout_requests USING btree (user_id);
CREATE INDEX ix_file_samples_sample_id ON {schema}.file_samples USING btree (sample_id);
CREATE INDEX ix_files_sha256 ON {schema}.files USING btree (sha256);
CREATE INDEX ix_files_submission_version_id ON {schema}.files USING btree (submission_version_id);
CREATE INDEX ix_frequency_release_samples_sample_id ON {schema}.frequency_release_samples USING btree (sample_id);
CREATE INDEX ix_relationships_person_id ON {schema}.relationships USING btree (person_id);
CREATE INDEX ix_relationships_relative_id ON {schema}.relationships USING btree (relative_id);
CREATE INDEX ix_runs_sample_id ON {schema}.runs USING btree (sample_id);
CREATE INDEX ix_runs_submission_version_id ON {schema}.runs USING btree (submission_version_id);
CREATE INDEX ix_sample_qc_batch_id ON {schema}.sample_qc USING btree (batch_id);
CREATE INDEX ix_sample_qc_flagged ON {schema}.sample_qc USING btree (flagged);
CREATE INDEX ix_samples_department_submitter_id ON {schema}.samples USING btree (department_id, submitter_sample_id);
CREATE INDEX ix_samples_person_id ON {schema}.samples USING btree (person_id);
CREATE INDEX ix_samples_sample_key ON {schema}.samples USING btree (sample_key);
CREATE INDEX ix_samples_submission_version_id ON {schema}.samples USING btree (submission_version_id);
CREATE INDEX ix_submission_events_submission_id ON {schema}.submission_events USING btree (submission_id);
CREATE INDEX ix_submission_versions_content_digest ON {schema}.submission_versions USING btree (content_digest);
CREATE INDEX ix_submission_versions_submission_id ON {schema}.submission_versions USING btree (submission_id);
CREATE INDEX ix_submissions_department_id ON {schema}.submissions USING btree (department_id);
ALTER TABLE ONLY {schema}.access_grants
    ADD CONSTRAINT fk_access_grants_granted_by_id_users FOREIGN KEY (granted_by_id) REFERENCES {schema}.users(id);
ALTER TABLE ONLY {schema}.access_grants
    ADD CONSTRAINT fk_access_grants_grantee_department_id_departments FOREIGN KEY (grantee_department_id) REFERENCES {schema}.departments(id);
ALTER TABLE ONLY {schema}.access_grants
    ADD CONSTRAINT fk_access_grants_grantee_user_id_users FOREIGN KEY (grantee_user_id) REFERENCES {schema}.users(id);
ALTER TABLE ONLY {schema}.access_grants
    ADD CONSTRAINT fk_access_grants_revoked_by_id_users FOREIGN KEY (revoked_by_id) REFERENCES {schema}.users(id);
ALTER TABLE ONLY {schema}.analyses
    ADD CONSTRAINT fk_analyses_submission_version_id_submission_versions FOREIGN KEY (submission_version_id) REFERENCES {schema}.submission_versions(id);
ALTER TABLE ONLY {schema}.analysis_files
    ADD CONSTRAINT fk_analysis_files_analysis_id_analyses FOREIGN KEY (analysis_id) REFERENCES {schema}.analyses(id);
ALTER TABLE ONLY {schema}.analysis_files
    ADD CONSTRAINT fk_analysis_files_file_id_files FOREIGN KEY (file_id) REFERENCES {schema}.files(id);
ALTER TABLE ONLY {schema}.analysis_samples
    ADD CONSTRAINT fk_analysis_samples_analysis_id_analyses FOREIGN KEY (analysis_id) REFERENCES {schema}.analyses(id);
ALTER TABLE ONLY {schema}.analysis_samples
    ADD CONSTRAINT fk_analysis_samples_sample_id_samples FOREIGN KEY (sample_id) REFERENCES {schema}.samples(id);
ALTER TABLE ONLY {schema}.api_tokens
    ADD CONSTRAINT fk_api_tokens_created_by_id_users FOREIGN KEY (created_by_id) REFERENCES {schema}.users(id);
ALTER TABLE ONLY {schema}.api_tokens
    ADD CONSTRAINT fk_api_tokens_revoked_by_id_users FOREIGN KEY (revoked_by_id) REFERENCES {schema}.users(id);
ALTER TABLE ONLY {schema}.api_tokens
    ADD CONSTRAINT fk_api_tokens_user_id_users FOREIGN KEY (user_id) REFERENCES {schema}.users(id);
ALTER TABLE ONLY {schema}.batch_samples
    ADD CONSTRAINT fk_batch_samples_batch_id_variant_batches FOREIGN KEY (batch_id) REFERENCES {schema}.variant_batches(batch_id);
ALTER TABLE ONLY {schema}.batch_samples
    ADD CONSTRAINT fk_batch_samples_file_id_files FOREIGN KEY (file_id) REFERENCES {schema}.files(id);
ALTER TABLE ONLY {schema}.batch_samples
    ADD CONSTRAINT fk_batch_samples_sample_id_samples FOREIGN KEY (sample_id) REFERENCES {schema}.samples(id);
ALTER TABLE ONLY {schema}.classification_assertions
    ADD CONSTRAINT fk_classification_assertions_department_id_departments FOREIGN KEY (department_id) REFERENCES {schema}.departments(id);
ALTER TABLE ONLY {schema}.classification_conflict_events
    ADD CONSTRAINT fk_classification_conflict_events_conflict_pk_classific_1141 FOREIGN KEY (conflict_pk) REFERENCES {schema}.classification_conflicts(id);
ALTER TABLE ONLY {schema}.classification_conflicts
    ADD CONSTRAINT fk_classification_conflicts_opened_by_version_pk_classi_9a14 FOREIGN KEY (opened_by_version_pk) REFERENCES {schema}.classification_versions(id);
ALTER TABLE ONLY {schema}.classification_crossings
    ADD CONSTRAINT fk_classification_crossings_trigger_version_pk_classifi_ec2c FOREIGN KEY (trigger_version_pk) REFERENCES {schema}.classification_versions(id);
ALTER TABLE ONLY {schema}.classification_imports
    ADD CONSTRAINT fk_classification_imports_department_id_departments FOREIGN KEY (department_id) REFERENCES {schema}.departments(id);
ALTER TABLE ONLY {schema}.classification_versions
    ADD CONSTRAINT fk_classification_versions_assertion_pk_classification__9177 FOREIGN KEY (assertion_pk) REFERENCES {schema}.classification_assertions(id);
ALTER TABLE ONLY {schema}.classification_versions
    ADD CONSTRAINT fk_classification_versions_department_id_departments FOREIGN KEY (department_id) REFERENCES {schema}.departments(id);
ALTER TABLE ONLY {schema}.classification_versions
    ADD CONSTRAINT fk_classification_versions_import_pk_classification_imports FOREIGN KEY (import_pk) REFERENCES {schema}.classification_imports(id);
ALTER TABLE ONLY {schema}.classification_worklist_entries
    ADD CONSTRAINT fk_classification_worklist_entries_crossing_pk_classifi_0c59 FOREIGN KEY (crossing_pk) REFERENCES {schema}.classification_crossings(id);
ALTER TABLE ONLY {schema}.classification_worklist_entries
    ADD CONSTRAINT fk_classification_worklist_entries_department_id_departments FOREIGN KEY (department_id) REFERENCES {schema}.departments(id);
ALTER TABLE ONLY {schema}.classification_worklist_entries
    ADD CONSTRAINT fk_classification_worklist_entries_person_id_persons FOREIGN KEY (person_id) REFERENCES {schema}.persons(id);
ALTER TABLE ONLY {schema}.classification_worklist_entries
    ADD CONSTRAINT fk_classification_worklist_entries_sample_id_samples FOREIGN KEY (sample_id) REFERENCES {schema}.samples(id);
ALTER TABLE ONLY {schema}.dataout_requests
    ADD CONSTRAINT fk_dataout_requests_user_id_users FOREIGN KEY (user_id) REFERENCES {schema}.users(id);
ALTER TABLE ONLY {schema}.departments
    ADD CONSTRAINT fk_departments_region_id_regions FOREIGN KEY (region_id) REFERENCES {schema}.regions(id);
ALTER TABLE ONLY {schema}.file_samples
    ADD CONSTRAINT fk_file_samples_file_id_files FOREIGN KEY (file_id) REFERENCES {schema}.files(id);
ALTER TABLE ONLY {schema}.file_samples
    ADD CONSTRAINT fk_file_samples_sample_id_samples FOREIGN KEY (sample_id) REFERENCES {schema}.samples(id);
ALTER TABLE ONLY {schema}.files
    ADD CONSTRAINT fk_files_index_sha256_blobs FOREIGN KEY (index_sha256) REFERENCES {schema}.blobs(sha256);
ALTER TABLE ONLY {schema}.files
    ADD CONSTRAINT fk_files_run_id_runs FOREIGN KEY (run_id) REFERENCES {schema}.runs(id);
ALTER TABLE ONLY {schema}.files
    ADD CONSTRAINT fk_files_sha256_blobs FOREIGN KEY (sha256) REFERENCES {schema}.blobs(sha256);
ALTER TABLE ONLY {schema}.files
    ADD CONSTRAINT fk_files_submission_version_id_submission_versions FOREIGN KEY (submission_version_id) REFERENCES {schema}.submission_versions(id);
ALTER TABLE ONLY {schema}.frequency_release_batches
    ADD CONSTRAINT fk_frequency_release_batches_release_id_frequency_releases FOREIGN KEY (release_id) REFERENCES {schema}.frequency_releases(release_id);
ALTER TABLE ONLY {schema}.frequency_release_samples
    ADD CONSTRAINT fk_frequency_release_samples_release_id_frequency_releases FOREIGN KEY (release_id) REFERENCES {schema}.frequency_releases(release_id);
ALTER TABLE ONLY {schema}.frequency_release_samples
    ADD CONSTRAINT fk_frequency_release_samples_sample_id_samples FOREIGN KEY (sample_id) REFERENCES {schema}.samples(id);
ALTER TABLE ONLY {schema}.frequency_releases
    ADD CONSTRAINT fk_frequency_releases_parent_id_frequency_releases FOREIGN KEY (parent_id) REFERENCES {schema}.frequency_releases(release_id);
ALTER TABLE ONLY {schema}.relationships
    ADD CONSTRAINT fk_relationships_person_id_persons FOREIGN KEY (person_id) REFERENCES {schema}.persons(id);
ALTER TABLE ONLY {schema}.relationships
    ADD CONSTRAINT fk_relationships_relative_id_persons FOREIGN KEY (relative_id) REFERENCES {schema}.persons(id);
ALTER TABLE ONLY {schema}.relationships
    ADD CONSTRAINT fk_relationships_submission_version_id_submission_versions FOREIGN KEY (submission_version_id) REFERENCES {schema}.submission_versions(id);
ALTER TABLE ONLY {schema}.runs
    ADD CONSTRAINT fk_runs_sample_id_samples FOREIGN KEY (sample_id) REFERENCES {schema}.samples(id);
ALTER TABLE ONLY {schema}.runs
    ADD CONSTRAINT fk_runs_submission_version_id_submission_versions FOREIGN KEY (submission_version_id) REFERENCES {schema}.submission_versions(id);
ALTER TABLE ONLY {schema}.sample_qc
    ADD CONSTRAINT fk_sample_qc_batch_id_variant_batches FOREIGN KEY (batch_id) REFERENCES {schema}.variant_batches(batch_id);
ALTER TABLE ONLY {schema}.sample_qc
    ADD CONSTRAINT fk_sample_qc_sample_id_samples FOREIGN KEY (sample_id) REFERENCES {schema}.samples(id);
ALTER TABLE ONLY {schema}.samples
    ADD CONSTRAINT fk_samples_department_id_departments FOREIGN KEY (department_id) REFERENCES {schema}.departments(id);
ALTER TABLE ONLY {schema}.samples
    ADD CONSTRAINT fk_samples_person_id_persons FOREIGN KEY (person_id) REFERENCES {schema}.persons(id);
ALTER TABLE ONLY {schema}.samples
    ADD CONSTRAINT fk_samples_submission_version_id_submission_versions FOREIGN KEY (submission_version_id) REFERENCES {schema}.submission_versions(id);
ALTER TABLE ONLY {schema}.submission_events
    ADD CONSTRAINT fk_submission_events_submission_id_submissions FOREIGN KEY (submission_id) REFERENCES {schema}.submissions(id);
ALTER TABLE ONLY {schema}.submission_versions
    ADD CONSTRAINT fk_submission_versions_submission_id_submissions FOREIGN KEY (submission_id) REFERENCES {schema}.submissions(id);
ALTER TABLE ONLY {schema}.submissions
    ADD CONSTRAINT fk_submissions_department_id_departments FOREIGN KEY (department_id) REFERENCES {schema}.departments(id);
ALTER TABLE ONLY {schema}.users
    ADD CONSTRAINT fk_users_department_id_departments FOREIGN KEY (department_id) REFERENCES {schema}.departments(id);
