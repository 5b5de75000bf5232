-- A SQLite catalog written by genomdb 0fbd678 (every domain's persistence under catalog/), for tests/db/test_layout_upgrade.py.
BEGIN TRANSACTION;
CREATE TABLE access_audit (
	seq BIGINT NOT NULL, 
	at DATETIME NOT NULL, 
	actor VARCHAR(64) NOT NULL, 
	actor_role VARCHAR(16), 
	actor_department VARCHAR(32), 
	action VARCHAR(32) NOT NULL, 
	resource_kind VARCHAR(16) NOT NULL, 
	resource_id VARCHAR(200) NOT NULL, 
	person VARCHAR(40), 
	decision VARCHAR(8) NOT NULL, 
	rule VARCHAR(40) NOT NULL, 
	grant_id VARCHAR(32), 
	legal_basis TEXT, 
	detail JSON NOT NULL, 
	prev_hash VARCHAR(64) NOT NULL, 
	entry_hash VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_access_audit PRIMARY KEY (seq)
);
INSERT INTO "access_audit" VALUES(1,'2026-12-06 21:14:49.818927','root','admin',NULL,'manage-users','user','root',NULL,'allowed','bootstrap-first-user',NULL,'installation: the first administrator of a new instance','{"role": "admin"}','0000000000000000000000000000000000000000000000000000000000000000','8e3af35748106d34e0efecf59fd041d6d42e33663ee1dd529e93efaa94417236');
INSERT INTO "access_audit" VALUES(2,'2026-12-06 21:14:49.854834','root','admin',NULL,'manage-users','user','anna',NULL,'allowed','steward-administers',NULL,'administration of access by the data controller''s stewards','{"role": "clinician", "department": "RH-KG"}','8e3af35748106d34e0efecf59fd041d6d42e33663ee1dd529e93efaa94417236','2cfe880baeaf6ffd72d97b83e8145b51ce7af1d6f5a2b29ec09f9ca291bd44a3');
INSERT INTO "access_audit" VALUES(3,'2026-12-06 21:14:49.890700','root','admin',NULL,'manage-users','token','anna',NULL,'allowed','steward-administers',NULL,'administration of access by the data controller''s stewards','{"operation": "create-token", "token": "R3LJFAQIAU7A", "expires": "2027-01-05T21:14:49.889737+00:00"}','2cfe880baeaf6ffd72d97b83e8145b51ce7af1d6f5a2b29ec09f9ca291bd44a3','79e12f50438dc24813616b3cba07e0f64f0f54baf7587009a2d0fa2291b258de');
CREATE TABLE access_audit_head (
	id INTEGER NOT NULL, 
	seq BIGINT NOT NULL, 
	entry_hash VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_access_audit_head PRIMARY KEY (id)
);
INSERT INTO "access_audit_head" VALUES(1,3,'79e12f50438dc24813616b3cba07e0f64f0f54baf7587009a2d0fa2291b258de');
CREATE TABLE access_grants (
	id VARCHAR(32) NOT NULL, 
	grantee_user_id INTEGER, 
	grantee_department_id INTEGER, 
	scope JSON NOT NULL, 
	purpose VARCHAR(16) NOT NULL, 
	reference VARCHAR(200) NOT NULL, 
	project VARCHAR(100), 
	legal_basis TEXT NOT NULL, 
	granted_by_id INTEGER NOT NULL, 
	granted_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	revoked_at DATETIME, 
	revoked_by_id INTEGER, 
	revoke_reason TEXT, 
	CONSTRAINT pk_access_grants PRIMARY KEY (id), 
	CONSTRAINT fk_access_grants_granted_by_id_users FOREIGN KEY(granted_by_id) REFERENCES users (id), 
	CONSTRAINT fk_access_grants_grantee_department_id_departments FOREIGN KEY(grantee_department_id) REFERENCES departments (id), 
	CONSTRAINT fk_access_grants_grantee_user_id_users FOREIGN KEY(grantee_user_id) REFERENCES users (id), 
	CONSTRAINT fk_access_grants_revoked_by_id_users FOREIGN KEY(revoked_by_id) REFERENCES users (id)
);
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO "alembic_version" VALUES('variants_0001');
INSERT INTO "alembic_version" VALUES('service_0001');
INSERT INTO "alembic_version" VALUES('frequency_0001');
INSERT INTO "alembic_version" VALUES('classification_0001');
CREATE TABLE analyses (
	id INTEGER NOT NULL, 
	submission_version_id INTEGER NOT NULL, 
	analysis_ref VARCHAR(64) NOT NULL, 
	pipeline_name VARCHAR(200) NOT NULL, 
	pipeline_version VARCHAR(100) NOT NULL, 
	reference_build VARCHAR(16) NOT NULL, 
	CONSTRAINT pk_analyses PRIMARY KEY (id), 
	CONSTRAINT fk_analyses_submission_version_id_submission_versions FOREIGN KEY(submission_version_id) REFERENCES submission_versions (id)
);
INSERT INTO "analyses" VALUES(1,1,'a1','dragen','4.2.4','GRCh38');
INSERT INTO "analyses" VALUES(2,1,'a2','gatk','4.5.0','GRCh38');
CREATE TABLE analysis_files (
	analysis_id INTEGER NOT NULL, 
	file_id INTEGER NOT NULL, 
	role VARCHAR(8) NOT NULL, 
	CONSTRAINT pk_analysis_files PRIMARY KEY (analysis_id, file_id, role), 
	CONSTRAINT fk_analysis_files_analysis_id_analyses FOREIGN KEY(analysis_id) REFERENCES analyses (id), 
	CONSTRAINT fk_analysis_files_file_id_files FOREIGN KEY(file_id) REFERENCES files (id)
);
INSERT INTO "analysis_files" VALUES(1,1,'input');
INSERT INTO "analysis_files" VALUES(1,2,'input');
INSERT INTO "analysis_files" VALUES(1,3,'output');
INSERT INTO "analysis_files" VALUES(1,4,'output');
INSERT INTO "analysis_files" VALUES(2,5,'output');
CREATE TABLE analysis_samples (
	analysis_id INTEGER NOT NULL, 
	sample_id INTEGER NOT NULL, 
	CONSTRAINT pk_analysis_samples PRIMARY KEY (analysis_id, sample_id), 
	CONSTRAINT fk_analysis_samples_analysis_id_analyses FOREIGN KEY(analysis_id) REFERENCES analyses (id), 
	CONSTRAINT fk_analysis_samples_sample_id_samples FOREIGN KEY(sample_id) REFERENCES samples (id)
);
INSERT INTO "analysis_samples" VALUES(1,1);
INSERT INTO "analysis_samples" VALUES(2,2);
CREATE TABLE api_tokens (
	id VARCHAR(16) NOT NULL, 
	user_id INTEGER NOT NULL, 
	secret_sha256 VARCHAR(64) NOT NULL, 
	label VARCHAR(200) NOT NULL, 
	created_by_id INTEGER, 
	created_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	revoked_at DATETIME, 
	revoked_by_id INTEGER, 
	CONSTRAINT pk_api_tokens PRIMARY KEY (id), 
	CONSTRAINT fk_api_tokens_user_id_users FOREIGN KEY(user_id) REFERENCES users (id), 
	CONSTRAINT fk_api_tokens_created_by_id_users FOREIGN KEY(created_by_id) REFERENCES users (id), 
	CONSTRAINT fk_api_tokens_revoked_by_id_users FOREIGN KEY(revoked_by_id) REFERENCES users (id)
);
INSERT INTO "api_tokens" VALUES('R3LJFAQIAU7A',2,'45b0263a9b6bed4cdcfb40cc134a481be65c3dee1ff38d42b21d24fe47fae26f','layout fixture',1,'2026-12-06 21:14:50.025311','2027-01-05 21:14:49.889737',NULL,NULL);
CREATE TABLE batch_samples (
	sample_id INTEGER NOT NULL, 
	batch_id VARCHAR(40) NOT NULL, 
	file_id INTEGER NOT NULL, 
	CONSTRAINT pk_batch_samples PRIMARY KEY (sample_id), 
	CONSTRAINT fk_batch_samples_batch_id_variant_batches FOREIGN KEY(batch_id) REFERENCES variant_batches (batch_id), 
	CONSTRAINT fk_batch_samples_file_id_files FOREIGN KEY(file_id) REFERENCES files (id), 
	CONSTRAINT fk_batch_samples_sample_id_samples FOREIGN KEY(sample_id) REFERENCES samples (id)
);
CREATE TABLE blobs (
	sha256 VARCHAR(64) NOT NULL, 
	size BIGINT NOT NULL, 
	md5 VARCHAR(32) NOT NULL, 
	tier VARCHAR(8) NOT NULL, 
	encrypted BOOLEAN NOT NULL, 
	stored_at DATETIME NOT NULL, 
	CONSTRAINT pk_blobs PRIMARY KEY (sha256)
);
INSERT INTO "blobs" VALUES('876cc5d5626c8ddaa3a6cd2cb41793c9cd65bb33d8e5bee83d05d35d4d7deca3',6134,'0e3bcc3d3a173f9e9affe27e4ff0c643','hot',0,'2026-12-06 21:14:49.728250');
INSERT INTO "blobs" VALUES('0d0e1a57248da724e61eb157157d3244ac1cfca21a6089adf836d5c00e008036',6151,'2331d96636aac13b3ab4f5223361f74f','hot',0,'2026-12-06 21:14:49.728250');
INSERT INTO "blobs" VALUES('f05c03aadada66f5b84760400ed0248d6e2f65c24b0bb52fe4d6d4dbdf3fb4a6',8863,'c9f0872ed4a9126ebb2d3ea776a082fb','hot',0,'2026-12-06 21:14:49.728250');
INSERT INTO "blobs" VALUES('ddaf62040c4bc9c3f2b614cb7067403cf049d1d31ad8f06b54415df5b231098e',288,'3af400e47c2ed4936acebc93d12c253a','hot',0,'2026-12-06 21:14:49.728250');
INSERT INTO "blobs" VALUES('eee9921e3f30274fcace98de8571da5fc1ca88130e4a1eefe2dd08189d2f3f78',642,'88e807d2f9aa82b5e9ad4d3c8b876812','hot',0,'2026-12-06 21:14:49.728250');
INSERT INTO "blobs" VALUES('78466409e7fc81676b7b092d7d801b3b98b8f6df67f724272b2a39bb92b89516',131,'8c13568c5086e3b9006386acc497ba69','hot',0,'2026-12-06 21:14:49.728250');
INSERT INTO "blobs" VALUES('220196bc5b98a4234588a27407db172f4fb8f514dbb294b5f0def7f0c7624dbd',539,'3fa3bdad29a635dee85d6eced9203f68','hot',0,'2026-12-06 21:14:49.728250');
INSERT INTO "blobs" VALUES('8d9bb6aa6285fd417e791620448e8cc15de4d30510636dffe1940b919db33f54',107,'0213f8bda5da6a48c00643d913f0975f','hot',0,'2026-12-06 21:14:49.728250');
CREATE TABLE classification_assertions (
	id INTEGER NOT NULL, 
	assertion_id VARCHAR(32) NOT NULL, 
	department_id INTEGER NOT NULL, 
	variant_key VARCHAR(2000) NOT NULL, 
	condition_key VARCHAR(500) NOT NULL, 
	current_version INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_classification_assertions PRIMARY KEY (id), 
	CONSTRAINT fk_classification_assertions_department_id_departments FOREIGN KEY(department_id) REFERENCES departments (id), 
	CONSTRAINT uq_classification_assertions_assertion_id UNIQUE (assertion_id), 
	CONSTRAINT uq_classification_assertions_department_id UNIQUE (department_id, variant_key, condition_key)
);
CREATE TABLE classification_conflict_events (
	id INTEGER NOT NULL, 
	conflict_pk INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	state VARCHAR(32) NOT NULL, 
	actor VARCHAR(200) NOT NULL, 
	note TEXT NOT NULL, 
	CONSTRAINT pk_classification_conflict_events PRIMARY KEY (id), 
	CONSTRAINT fk_classification_conflict_events_conflict_pk_classification_conflicts FOREIGN KEY(conflict_pk) REFERENCES classification_conflicts (id)
);
CREATE TABLE classification_conflicts (
	id INTEGER NOT NULL, 
	conflict_id VARCHAR(32) NOT NULL, 
	variant_key VARCHAR(2000) NOT NULL, 
	category VARCHAR(32) NOT NULL, 
	departments JSON NOT NULL, 
	classes JSON NOT NULL, 
	signature VARCHAR(1000) NOT NULL, 
	state VARCHAR(32) NOT NULL, 
	opened_at DATETIME NOT NULL, 
	opened_by_version_pk INTEGER NOT NULL, 
	updated_at DATETIME NOT NULL, 
	resolution TEXT, 
	resolved_at DATETIME, 
	CONSTRAINT pk_classification_conflicts PRIMARY KEY (id), 
	CONSTRAINT fk_classification_conflicts_opened_by_version_pk_classification_versions FOREIGN KEY(opened_by_version_pk) REFERENCES classification_versions (id), 
	CONSTRAINT uq_classification_conflicts_conflict_id UNIQUE (conflict_id)
);
CREATE TABLE classification_crossings (
	id INTEGER NOT NULL, 
	crossing_id VARCHAR(32) NOT NULL, 
	variant_key VARCHAR(2000) NOT NULL, 
	direction VARCHAR(32) NOT NULL, 
	before_term VARCHAR(64) NOT NULL, 
	after_term VARCHAR(64) NOT NULL, 
	trigger_version_pk INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	CONSTRAINT pk_classification_crossings PRIMARY KEY (id), 
	CONSTRAINT fk_classification_crossings_trigger_version_pk_classification_versions FOREIGN KEY(trigger_version_pk) REFERENCES classification_versions (id), 
	CONSTRAINT uq_classification_crossings_crossing_id UNIQUE (crossing_id)
);
CREATE TABLE classification_frequency_thresholds (
	gene VARCHAR(32) NOT NULL, 
	ba1_above FLOAT NOT NULL, 
	bs1_above FLOAT NOT NULL, 
	pm2_below FLOAT NOT NULL, 
	pm2_label VARCHAR(32) NOT NULL, 
	source TEXT NOT NULL, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_classification_frequency_thresholds PRIMARY KEY (gene)
);
CREATE TABLE classification_imports (
	id INTEGER NOT NULL, 
	import_id VARCHAR(32) NOT NULL, 
	department_id INTEGER NOT NULL, 
	file_name VARCHAR(1000) NOT NULL, 
	file_sha256 VARCHAR(64) NOT NULL, 
	file_format VARCHAR(8) NOT NULL, 
	n_rows INTEGER NOT NULL, 
	n_new_versions INTEGER NOT NULL, 
	recorded_at DATETIME NOT NULL, 
	CONSTRAINT pk_classification_imports PRIMARY KEY (id), 
	CONSTRAINT fk_classification_imports_department_id_departments FOREIGN KEY(department_id) REFERENCES departments (id), 
	CONSTRAINT uq_classification_imports_import_id UNIQUE (import_id)
);
CREATE TABLE classification_sequence_digests (
	build VARCHAR(16) NOT NULL, 
	contig VARCHAR(64) NOT NULL, 
	fingerprint VARCHAR(200) NOT NULL, 
	length BIGINT NOT NULL, 
	refget_accession VARCHAR(40) NOT NULL, 
	computed_at DATETIME NOT NULL, 
	CONSTRAINT pk_classification_sequence_digests PRIMARY KEY (build, contig)
);
CREATE TABLE classification_versions (
	id INTEGER NOT NULL, 
	assertion_pk INTEGER NOT NULL, 
	version INTEGER NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	department_id INTEGER NOT NULL, 
	variant_key VARCHAR(2000) NOT NULL, 
	vrs_allele_id VARCHAR(48) NOT NULL, 
	acmg_class VARCHAR(32) NOT NULL, 
	supported_class VARCHAR(32) NOT NULL, 
	criteria VARCHAR(500) NOT NULL, 
	condition_name VARCHAR(500) NOT NULL, 
	condition_id VARCHAR(32), 
	inheritance VARCHAR(16) NOT NULL, 
	gene VARCHAR(32), 
	transcript VARCHAR(64), 
	hgvs_c VARCHAR(500), 
	hgvs_p VARCHAR(500), 
	evidence TEXT NOT NULL, 
	classifier VARCHAR(200) NOT NULL, 
	asserted_on DATE NOT NULL, 
	recorded_at DATETIME NOT NULL, 
	reason TEXT, 
	source VARCHAR(16) NOT NULL, 
	import_pk INTEGER, 
	CONSTRAINT pk_classification_versions PRIMARY KEY (id), 
	CONSTRAINT fk_classification_versions_assertion_pk_classification_assertions FOREIGN KEY(assertion_pk) REFERENCES classification_assertions (id), 
	CONSTRAINT fk_classification_versions_department_id_departments FOREIGN KEY(department_id) REFERENCES departments (id), 
	CONSTRAINT fk_classification_versions_import_pk_classification_imports FOREIGN KEY(import_pk) REFERENCES classification_imports (id), 
	CONSTRAINT uq_classification_versions_assertion_pk UNIQUE (assertion_pk, version)
);
CREATE TABLE classification_worklist_entries (
	id INTEGER NOT NULL, 
	crossing_pk INTEGER NOT NULL, 
	department_id INTEGER NOT NULL, 
	person_id INTEGER NOT NULL, 
	sample_id INTEGER NOT NULL, 
	alt_count INTEGER NOT NULL, 
	CONSTRAINT pk_classification_worklist_entries PRIMARY KEY (id), 
	CONSTRAINT fk_classification_worklist_entries_crossing_pk_classification_crossings FOREIGN KEY(crossing_pk) REFERENCES classification_crossings (id), 
	CONSTRAINT fk_classification_worklist_entries_department_id_departments FOREIGN KEY(department_id) REFERENCES departments (id), 
	CONSTRAINT fk_classification_worklist_entries_person_id_persons FOREIGN KEY(person_id) REFERENCES persons (id), 
	CONSTRAINT fk_classification_worklist_entries_sample_id_samples FOREIGN KEY(sample_id) REFERENCES samples (id), 
	CONSTRAINT uq_classification_worklist_entries_crossing_pk UNIQUE (crossing_pk, department_id, sample_id)
);
CREATE TABLE dataout_requests (
	id VARCHAR(32) NOT NULL, 
	user_id INTEGER NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	spec JSON NOT NULL, 
	purpose VARCHAR(16), 
	grant_id VARCHAR(32), 
	message TEXT, 
	waiting_for JSON, 
	n_parts INTEGER, 
	total_bytes BIGINT, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	completed_at DATETIME, 
	CONSTRAINT pk_dataout_requests PRIMARY KEY (id), 
	CONSTRAINT fk_dataout_requests_user_id_users FOREIGN KEY(user_id) REFERENCES users (id)
);
CREATE TABLE departments (
	id INTEGER NOT NULL, 
	code VARCHAR(32) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	region_id INTEGER NOT NULL, 
	CONSTRAINT pk_departments PRIMARY KEY (id), 
	CONSTRAINT fk_departments_region_id_regions FOREIGN KEY(region_id) REFERENCES regions (id), 
	CONSTRAINT uq_departments_code UNIQUE (code)
);
INSERT INTO "departments" VALUES(1,'RH-KG','Klinisk Genetisk Klinik, Rigshospitalet',1);
INSERT INTO "departments" VALUES(2,'RH-GM','Genomisk Medicin, Rigshospitalet',1);
INSERT INTO "departments" VALUES(3,'RSJ-KG','Klinisk Genetisk Afdeling, Sjællands Universitetshospital',2);
INSERT INTO "departments" VALUES(4,'RSD-KG-OUH','Klinisk Genetisk Afdeling, Odense Universitetshospital',3);
INSERT INTO "departments" VALUES(5,'RSD-KG-VEJ','Klinisk Genetisk Afdeling, Sygehus Lillebælt Vejle',3);
INSERT INTO "departments" VALUES(6,'RM-KG','Klinisk Genetisk Afdeling, Aarhus Universitetshospital',4);
INSERT INTO "departments" VALUES(7,'RN-KG','Klinisk Genetisk Afdeling, Aalborg Universitetshospital',5);
CREATE TABLE file_samples (
	file_id INTEGER NOT NULL, 
	sample_id INTEGER NOT NULL, 
	CONSTRAINT pk_file_samples PRIMARY KEY (file_id, sample_id), 
	CONSTRAINT fk_file_samples_file_id_files FOREIGN KEY(file_id) REFERENCES files (id), 
	CONSTRAINT fk_file_samples_sample_id_samples FOREIGN KEY(sample_id) REFERENCES samples (id)
);
INSERT INTO "file_samples" VALUES(1,1);
INSERT INTO "file_samples" VALUES(2,1);
INSERT INTO "file_samples" VALUES(3,1);
INSERT INTO "file_samples" VALUES(4,1);
INSERT INTO "file_samples" VALUES(5,2);
CREATE TABLE files (
	id INTEGER NOT NULL, 
	submission_version_id INTEGER NOT NULL, 
	file_ref VARCHAR(64) NOT NULL, 
	run_id INTEGER, 
	mate_ref VARCHAR(64), 
	format VARCHAR(8) NOT NULL, 
	original_path VARCHAR(1000), 
	size BIGINT NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	md5 VARCHAR(32) NOT NULL, 
	index_sha256 VARCHAR(64), 
	index_name VARCHAR(16), 
	facts JSON, 
	CONSTRAINT pk_files PRIMARY KEY (id), 
	CONSTRAINT fk_files_index_sha256_blobs FOREIGN KEY(index_sha256) REFERENCES blobs (sha256), 
	CONSTRAINT fk_files_run_id_runs FOREIGN KEY(run_id) REFERENCES runs (id), 
	CONSTRAINT fk_files_sha256_blobs FOREIGN KEY(sha256) REFERENCES blobs (sha256), 
	CONSTRAINT fk_files_submission_version_id_submission_versions FOREIGN KEY(submission_version_id) REFERENCES submission_versions (id), 
	CONSTRAINT uq_files_submission_version_id UNIQUE (submission_version_id, file_ref)
);
INSERT INTO "files" VALUES(1,1,'r1',1,'r2','FASTQ','child_R1.fastq.gz',6134,'876cc5d5626c8ddaa3a6cd2cb41793c9cd65bb33d8e5bee83d05d35d4d7deca3','0e3bcc3d3a173f9e9affe27e4ff0c643',NULL,NULL,'{"n_reads": 50, "n_bases": 5000, "min_read_length": 100, "max_read_length": 100, "mean_read_length": 100.0, "quality_encoding": "phred+33"}');
INSERT INTO "files" VALUES(2,1,'r2',1,'r1','FASTQ','child_R2.fastq.gz',6151,'0d0e1a57248da724e61eb157157d3244ac1cfca21a6089adf836d5c00e008036','2331d96636aac13b3ab4f5223361f74f',NULL,NULL,'{"n_reads": 50, "n_bases": 5000, "min_read_length": 100, "max_read_length": 100, "mean_read_length": 100.0, "quality_encoding": "phred+33"}');
INSERT INTO "files" VALUES(3,1,'bam',NULL,NULL,'BAM','child.bam',8863,'f05c03aadada66f5b84760400ed0248d6e2f65c24b0bb52fe4d6d4dbdf3fb4a6','c9f0872ed4a9126ebb2d3ea776a082fb','ddaf62040c4bc9c3f2b614cb7067403cf049d1d31ad8f06b54415df5b231098e','bai','{"sort_order": "coordinate", "is_aligned": true, "read_groups": ["rg1"], "samples": ["RH-KG-T0001"], "n_records": 205, "n_mapped": 200, "contigs": ["chr1"]}');
INSERT INTO "files" VALUES(4,1,'gvcf',NULL,NULL,'GVCF','child.g.vcf.gz',642,'eee9921e3f30274fcace98de8571da5fc1ca88130e4a1eefe2dd08189d2f3f78','88e807d2f9aa82b5e9ad4d3c8b876812','78466409e7fc81676b7b092d7d801b3b98b8f6df67f724272b2a39bb92b89516','tbi','{"compression": "bgzf", "samples": ["RH-KG-T0001"], "n_records": 4, "n_variant_records": 2, "n_reference_blocks": 2, "contigs": ["chr1", "chr2"], "is_gvcf": true}');
INSERT INTO "files" VALUES(5,1,'vcf',NULL,NULL,'VCF','mother.vcf.gz',539,'220196bc5b98a4234588a27407db172f4fb8f514dbb294b5f0def7f0c7624dbd','3fa3bdad29a635dee85d6eced9203f68','8d9bb6aa6285fd417e791620448e8cc15de4d30510636dffe1940b919db33f54','tbi','{"compression": "bgzf", "samples": ["RH-KG-T0002"], "n_records": 1, "n_variant_records": 1, "n_reference_blocks": 0, "contigs": ["chr1"], "is_gvcf": false}');
CREATE TABLE frequency_release_batches (
	release_id VARCHAR(40) NOT NULL, 
	batch_id VARCHAR(40) NOT NULL, 
	manifest_sha256 VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_frequency_release_batches PRIMARY KEY (release_id, batch_id), 
	CONSTRAINT fk_frequency_release_batches_release_id_frequency_releases FOREIGN KEY(release_id) REFERENCES frequency_releases (release_id)
);
CREATE TABLE frequency_release_samples (
	release_id VARCHAR(40) NOT NULL, 
	sample_id INTEGER NOT NULL, 
	CONSTRAINT pk_frequency_release_samples PRIMARY KEY (release_id, sample_id), 
	CONSTRAINT fk_frequency_release_samples_release_id_frequency_releases FOREIGN KEY(release_id) REFERENCES frequency_releases (release_id), 
	CONSTRAINT fk_frequency_release_samples_sample_id_samples FOREIGN KEY(sample_id) REFERENCES samples (id)
);
CREATE TABLE frequency_releases (
	release_id VARCHAR(40) NOT NULL, 
	sequence INTEGER NOT NULL, 
	parent_id VARCHAR(40), 
	created_at DATETIME NOT NULL, 
	path VARCHAR(500) NOT NULL, 
	manifest_sha256 VARCHAR(64) NOT NULL, 
	mode VARCHAR(16) NOT NULL, 
	n_samples INTEGER NOT NULL, 
	n_variants INTEGER NOT NULL, 
	n_batches INTEGER NOT NULL, 
	strata JSON NOT NULL, 
	CONSTRAINT pk_frequency_releases PRIMARY KEY (release_id), 
	CONSTRAINT fk_frequency_releases_parent_id_frequency_releases FOREIGN KEY(parent_id) REFERENCES frequency_releases (release_id), 
	CONSTRAINT uq_frequency_releases_sequence UNIQUE (sequence)
);
CREATE TABLE persons (
	id INTEGER NOT NULL, 
	pseudonym VARCHAR(40) NOT NULL, 
	birth_year INTEGER, 
	declared_sex VARCHAR(8), 
	research_opt_out BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_persons PRIMARY KEY (id), 
	CONSTRAINT uq_persons_pseudonym UNIQUE (pseudonym)
);
INSERT INTO "persons" VALUES(1,'GDB-7BBA6CCYKZOL3DGN',1971,'female',0,'2026-12-06 21:14:49.728250');
INSERT INTO "persons" VALUES(2,'GDB-J4O5OWTEEPFC7C7D',2012,'male',0,'2026-12-06 21:14:49.728250');
CREATE TABLE regions (
	id INTEGER NOT NULL, 
	code VARCHAR(32) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	CONSTRAINT pk_regions PRIMARY KEY (id), 
	CONSTRAINT uq_regions_code UNIQUE (code)
);
INSERT INTO "regions" VALUES(1,'RH','Region Hovedstaden');
INSERT INTO "regions" VALUES(2,'RSJ','Region Sjælland');
INSERT INTO "regions" VALUES(3,'RSD','Region Syddanmark');
INSERT INTO "regions" VALUES(4,'RM','Region Midtjylland');
INSERT INTO "regions" VALUES(5,'RN','Region Nordjylland');
CREATE TABLE relationships (
	id INTEGER NOT NULL, 
	person_id INTEGER NOT NULL, 
	relation VARCHAR(16) NOT NULL, 
	relative_id INTEGER NOT NULL, 
	submission_version_id INTEGER NOT NULL, 
	CONSTRAINT pk_relationships PRIMARY KEY (id), 
	CONSTRAINT fk_relationships_person_id_persons FOREIGN KEY(person_id) REFERENCES persons (id), 
	CONSTRAINT fk_relationships_relative_id_persons FOREIGN KEY(relative_id) REFERENCES persons (id), 
	CONSTRAINT fk_relationships_submission_version_id_submission_versions FOREIGN KEY(submission_version_id) REFERENCES submission_versions (id), 
	CONSTRAINT uq_relationships_person_id UNIQUE (person_id, relation, relative_id)
);
INSERT INTO "relationships" VALUES(1,2,'mother',1,1);
CREATE TABLE runs (
	id INTEGER NOT NULL, 
	submission_version_id INTEGER NOT NULL, 
	run_ref VARCHAR(64) NOT NULL, 
	sample_id INTEGER NOT NULL, 
	platform VARCHAR(16) NOT NULL, 
	read_type VARCHAR(8) NOT NULL, 
	instrument VARCHAR(200), 
	library_strategy VARCHAR(32) NOT NULL, 
	library_id VARCHAR(200), 
	run_date DATE, 
	CONSTRAINT pk_runs PRIMARY KEY (id), 
	CONSTRAINT fk_runs_sample_id_samples FOREIGN KEY(sample_id) REFERENCES samples (id), 
	CONSTRAINT fk_runs_submission_version_id_submission_versions FOREIGN KEY(submission_version_id) REFERENCES submission_versions (id)
);
INSERT INTO "runs" VALUES(1,1,'run1',1,'ILLUMINA','short','NovaSeq 6000','WGS',NULL,NULL);
CREATE TABLE sample_qc (
	sample_id INTEGER NOT NULL, 
	batch_id VARCHAR(40) NOT NULL, 
	n_calls BIGINT NOT NULL, 
	n_passing_calls BIGINT NOT NULL, 
	call_rate FLOAT, 
	callable_bases BIGINT NOT NULL, 
	target_bases BIGINT, 
	callable_fraction FLOAT, 
	n_snv BIGINT NOT NULL, 
	n_indel BIGINT NOT NULL, 
	ti_tv FLOAT, 
	n_het BIGINT NOT NULL, 
	n_hom_var BIGINT NOT NULL, 
	het_hom_ratio FLOAT, 
	chrx_heterozygosity FLOAT, 
	chrx_n_calls INTEGER NOT NULL, 
	inferred_sex VARCHAR(8) NOT NULL, 
	declared_sex VARCHAR(8), 
	ploidy_sex VARCHAR(8), 
	flags JSON NOT NULL, 
	flagged BOOLEAN NOT NULL, 
	CONSTRAINT pk_sample_qc PRIMARY KEY (sample_id), 
	CONSTRAINT fk_sample_qc_batch_id_variant_batches FOREIGN KEY(batch_id) REFERENCES variant_batches (batch_id), 
	CONSTRAINT fk_sample_qc_sample_id_samples FOREIGN KEY(sample_id) REFERENCES samples (id)
);
CREATE TABLE samples (
	id INTEGER NOT NULL, 
	sample_key VARCHAR(32) NOT NULL, 
	submission_version_id INTEGER NOT NULL, 
	department_id INTEGER NOT NULL, 
	submitter_sample_id VARCHAR(64) NOT NULL, 
	person_id INTEGER NOT NULL, 
	tissue VARCHAR(64) NOT NULL, 
	collection_date DATE, 
	withdrawn BOOLEAN NOT NULL, 
	CONSTRAINT pk_samples PRIMARY KEY (id), 
	CONSTRAINT fk_samples_department_id_departments FOREIGN KEY(department_id) REFERENCES departments (id), 
	CONSTRAINT fk_samples_person_id_persons FOREIGN KEY(person_id) REFERENCES persons (id), 
	CONSTRAINT fk_samples_submission_version_id_submission_versions FOREIGN KEY(submission_version_id) REFERENCES submission_versions (id), 
	CONSTRAINT uq_samples_submission_version_id UNIQUE (submission_version_id, submitter_sample_id)
);
INSERT INTO "samples" VALUES(1,'SMP-XOBKV6QAYQ',1,1,'RH-KG-T0001',2,'blood',NULL,0);
INSERT INTO "samples" VALUES(2,'SMP-K2QVCUGD5A',1,1,'RH-KG-T0002',1,'blood',NULL,0);
CREATE TABLE submission_events (
	id INTEGER NOT NULL, 
	submission_id VARCHAR(32) NOT NULL, 
	version INTEGER, 
	at DATETIME NOT NULL, 
	kind VARCHAR(32) NOT NULL, 
	detail JSON, 
	CONSTRAINT pk_submission_events PRIMARY KEY (id), 
	CONSTRAINT fk_submission_events_submission_id_submissions FOREIGN KEY(submission_id) REFERENCES submissions (id)
);
INSERT INTO "submission_events" VALUES(1,'SUB-MCB6FZHV',1,'2026-12-06 21:14:49.728250','accepted','{"manifest": "/tmp/oldhome-kit/manifest.yaml", "n_samples": 2, "n_files": 5, "bytes_stored": 22855}');
CREATE TABLE submission_versions (
	id INTEGER NOT NULL, 
	submission_id VARCHAR(32) NOT NULL, 
	version INTEGER NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	reason TEXT, 
	manifest_name VARCHAR(500) NOT NULL, 
	title VARCHAR(500), 
	manifest JSON, 
	content_digest VARCHAR(64), 
	report JSON, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_submission_versions PRIMARY KEY (id), 
	CONSTRAINT fk_submission_versions_submission_id_submissions FOREIGN KEY(submission_id) REFERENCES submissions (id), 
	CONSTRAINT uq_submission_versions_submission_id UNIQUE (submission_id, version)
);
INSERT INTO "submission_versions" VALUES(1,'SUB-MCB6FZHV',1,'accepted',NULL,'/tmp/oldhome-kit/manifest.yaml','test family','{"schema_version": 1, "submitter": {"department": "RH-KG", "contact": null}, "title": "test family", "individuals": [{"id": "mother", "pseudonym": "GDB-7BBA6CCYKZOL3DGN", "relatives": [], "research_opt_out": false}, {"id": "child", "pseudonym": "GDB-J4O5OWTEEPFC7C7D", "relatives": [{"relation": "mother", "individual": "mother"}], "research_opt_out": false}], "samples": [{"id": "RH-KG-T0001", "individual": "child", "tissue": "blood", "collection_date": null, "withdrawn": false}, {"id": "RH-KG-T0002", "individual": "mother", "tissue": "blood", "collection_date": null, "withdrawn": false}], "runs": [{"id": "run1", "sample": "RH-KG-T0001", "platform": "ILLUMINA", "read_type": "short", "instrument": "NovaSeq 6000", "library_strategy": "WGS", "library_id": null, "run_date": null}], "files": [{"id": "r1", "path": "child_R1.fastq.gz", "format": "FASTQ", "run": "run1", "mate": "r2", "sha256": "876cc5d5626c8ddaa3a6cd2cb41793c9cd65bb33d8e5bee83d05d35d4d7deca3", "md5": null, "size": null}, {"id": "r2", "path": "child_R2.fastq.gz", "format": "FASTQ", "run": "run1", "mate": "r1", "sha256": "0d0e1a57248da724e61eb157157d3244ac1cfca21a6089adf836d5c00e008036", "md5": null, "size": null}, {"id": "bam", "path": "child.bam", "format": "BAM", "run": null, "mate": null, "sha256": "f05c03aadada66f5b84760400ed0248d6e2f65c24b0bb52fe4d6d4dbdf3fb4a6", "md5": null, "size": null}, {"id": "gvcf", "path": "child.g.vcf.gz", "format": "GVCF", "run": null, "mate": null, "sha256": "eee9921e3f30274fcace98de8571da5fc1ca88130e4a1eefe2dd08189d2f3f78", "md5": null, "size": null}, {"id": "vcf", "path": "mother.vcf.gz", "format": "VCF", "run": null, "mate": null, "sha256": "220196bc5b98a4234588a27407db172f4fb8f514dbb294b5f0def7f0c7624dbd", "md5": null, "size": null}], "analyses": [{"id": "a1", "samples": ["RH-KG-T0001"], "pipeline": {"name": "dragen", "version": "4.2.4"}, "reference_build": "GRCh38", "inputs": ["r1", "r2"], "outputs": ["bam", "gvcf"]}, {"id": "a2", "samples": ["RH-KG-T0002"], "pipeline": {"name": "gatk", "version": "4.5.0"}, "reference_build": "GRCh38", "inputs": [], "outputs": ["vcf"]}]}','84cd98580973feba6739be96c147b8a0b7a40c4ab18c79867c48ace7b6456efc',NULL,'2026-12-06 21:14:49.728250');
CREATE TABLE submissions (
	id VARCHAR(32) NOT NULL, 
	department_id INTEGER, 
	department_code VARCHAR(64) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	current_version INTEGER, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_submissions PRIMARY KEY (id), 
	CONSTRAINT fk_submissions_department_id_departments FOREIGN KEY(department_id) REFERENCES departments (id)
);
INSERT INTO "submissions" VALUES('SUB-MCB6FZHV',1,'RH-KG','accepted',1,'2026-12-06 21:14:49.728250','2026-12-06 21:14:49.728250');
CREATE TABLE users (
	id INTEGER NOT NULL, 
	username VARCHAR(64) NOT NULL, 
	role VARCHAR(16) NOT NULL, 
	department_id INTEGER, 
	active BOOLEAN NOT NULL, 
	public_key VARCHAR(64), 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_users PRIMARY KEY (id), 
	CONSTRAINT fk_users_department_id_departments FOREIGN KEY(department_id) REFERENCES departments (id), 
	CONSTRAINT uq_users_username UNIQUE (username)
);
INSERT INTO "users" VALUES(1,'root','admin',NULL,1,NULL,'2026-12-06 21:14:49.847955');
INSERT INTO "users" VALUES(2,'anna','clinician',1,1,NULL,'2026-12-06 21:14:49.865635');
CREATE TABLE variant_batches (
	batch_id VARCHAR(40) NOT NULL, 
	created_at DATETIME NOT NULL, 
	schema_version INTEGER NOT NULL, 
	reference_build VARCHAR(16) NOT NULL, 
	filters JSON NOT NULL, 
	n_samples INTEGER NOT NULL, 
	n_calls BIGINT NOT NULL, 
	n_blocks BIGINT NOT NULL, 
	manifest_sha256 VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_variant_batches PRIMARY KEY (batch_id)
);
CREATE INDEX ix_submissions_department_id ON submissions (department_id);
CREATE INDEX ix_submission_events_submission_id ON submission_events (submission_id);
CREATE INDEX ix_submission_versions_content_digest ON submission_versions (content_digest);
CREATE INDEX ix_submission_versions_submission_id ON submission_versions (submission_id);
CREATE INDEX ix_analyses_submission_version_id ON analyses (submission_version_id);
CREATE INDEX ix_relationships_person_id ON relationships (person_id);
CREATE INDEX ix_relationships_relative_id ON relationships (relative_id);
CREATE INDEX ix_samples_department_submitter_id ON samples (department_id, submitter_sample_id);
CREATE INDEX ix_samples_person_id ON samples (person_id);
CREATE INDEX ix_samples_sample_key ON samples (sample_key);
CREATE INDEX ix_samples_submission_version_id ON samples (submission_version_id);
CREATE INDEX ix_analysis_samples_sample_id ON analysis_samples (sample_id);
CREATE INDEX ix_runs_sample_id ON runs (sample_id);
CREATE INDEX ix_runs_submission_version_id ON runs (submission_version_id);
CREATE INDEX ix_files_sha256 ON files (sha256);
CREATE INDEX ix_files_submission_version_id ON files (submission_version_id);
CREATE INDEX ix_file_samples_sample_id ON file_samples (sample_id);
CREATE INDEX ix_batch_samples_batch_id ON batch_samples (batch_id);
CREATE INDEX ix_sample_qc_batch_id ON sample_qc (batch_id);
CREATE INDEX ix_sample_qc_flagged ON sample_qc (flagged);
CREATE INDEX ix_access_grants_grantee_department_id ON access_grants (grantee_department_id);
CREATE INDEX ix_access_grants_grantee_user_id ON access_grants (grantee_user_id);
CREATE INDEX ix_access_audit_actor ON access_audit (actor);
CREATE INDEX ix_access_audit_at ON access_audit (at);
CREATE INDEX ix_access_audit_person ON access_audit (person);
CREATE INDEX ix_dataout_requests_status ON dataout_requests (status);
CREATE INDEX ix_dataout_requests_user_id ON dataout_requests (user_id);
CREATE INDEX ix_api_tokens_user_id ON api_tokens (user_id);
CREATE INDEX ix_frequency_release_samples_sample_id ON frequency_release_samples (sample_id);
CREATE INDEX ix_classification_assertions_variant_key ON classification_assertions (variant_key);
CREATE INDEX ix_classification_imports_file_sha256 ON classification_imports (file_sha256);
CREATE INDEX ix_classification_versions_department_recorded ON classification_versions (department_id, recorded_at);
CREATE INDEX ix_classification_versions_variant_recorded ON classification_versions (variant_key, recorded_at, assertion_pk, version);
CREATE INDEX ix_classification_versions_vrs_allele_id ON classification_versions (vrs_allele_id);
CREATE INDEX ix_classification_conflicts_state ON classification_conflicts (state);
CREATE INDEX ix_classification_conflicts_variant_key ON classification_conflicts (variant_key);
CREATE INDEX ix_classification_crossings_variant_key ON classification_crossings (variant_key);
CREATE INDEX ix_classification_conflict_events_conflict_pk ON classification_conflict_events (conflict_pk);
CREATE INDEX ix_classification_worklist_entries_crossing_pk ON classification_worklist_entries (crossing_pk);
CREATE INDEX ix_classification_worklist_entries_department_id ON classification_worklist_entries (department_id);
COMMIT;
