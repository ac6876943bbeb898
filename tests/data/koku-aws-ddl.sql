-- Koku's OCP-on-AWS project table and the AWS tables its foreign keys
-- point at, for the database tests (tests/scripts/t_pg_aws.sh).  Loaded
-- after ../shared/postgres/koku-ddl.sql and koku-fixture.sql (which make
-- the schema org1234567, reporting_tenant_api_provider,
-- reporting_ocpusagereportperiod, reporting_ocp_cost_category and the
-- partitioned_tables tracking table with its trigger).
--
-- Written from Koku at 768be82535f8e75523d966b4797e954ad054b52f:
--   koku/reporting/provider/aws/openshift/models.py
--     OCPAWSCostLineItemProjectDailySummaryP (534-603): the columns, the
--     indexes, PartitionInfo RANGE (usage_start);
--   koku/reporting/migrations/0300_squash.py (CreateModel
--     OCPAWSCostLineItemProjectDailySummaryP, AWSCostEntryBill,
--     AWSAccountAlias; AddIndex p_cost_prj_*, p_ocpaws_prj_*,
--     aws_cost_category_idx), 0320_ocpcloud_projsumm_network_fields.py
--     (data_transfer_direction, infrastructure_data_in/out_gigabytes),
--     0331 (pod_cost, project_markup_cost removed);
--   koku/koku/database.py p_table_sql: the primary key becomes
--     (usage_start, uuid), the default partition through partitioned_tables.
-- Column order as the migrations leave it; ForeignKey fields as Django's
-- schema editor makes them (integer <field>_id, DEFERRABLE INITIALLY
-- DEFERRED constraint + index).  Constraint names are ours (Django's carry
-- a hash of the table and column names).  The AWS bill and alias tables
-- keep their real columns; reporting_awscostentrybill.provider_id points
-- at reporting_tenant_api_provider as in Koku.
SET search_path = org1234567;

CREATE TABLE "reporting_awsaccountalias" (
    "id" serial NOT NULL PRIMARY KEY,
    "account_id" varchar(50) NOT NULL UNIQUE,
    "account_alias" varchar(63) NULL);

CREATE TABLE "reporting_awscostentrybill" (
    "id" serial NOT NULL PRIMARY KEY,
    "billing_resource" varchar(50) NOT NULL,
    "bill_type" varchar(50) NULL,
    "payer_account_id" varchar(50) NULL,
    "billing_period_start" timestamp with time zone NOT NULL,
    "billing_period_end" timestamp with time zone NOT NULL,
    "summary_data_creation_datetime" timestamp with time zone NULL,
    "summary_data_updated_datetime" timestamp with time zone NULL,
    "finalized_datetime" timestamp with time zone NULL,
    "derived_cost_datetime" timestamp with time zone NULL,
    "provider_id" uuid NOT NULL);
ALTER TABLE "reporting_awscostentrybill" ADD CONSTRAINT "reporting_awscostentrybill_provider_id_fk"
    FOREIGN KEY ("provider_id") REFERENCES "reporting_tenant_api_provider" ("uuid") DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX "reporting_awscostentrybill_provider_id" ON "reporting_awscostentrybill" ("provider_id");

CREATE TABLE "reporting_ocpawscostlineitem_project_daily_summary_p" (
    "uuid" uuid NOT NULL,
    "cluster_id" varchar(50) NULL,
    "cluster_alias" varchar(256) NULL,
    "data_source" varchar(64) NULL,
    "namespace" varchar(253) NULL,
    "node" varchar(253) NULL,
    "persistentvolumeclaim" varchar(253) NULL,
    "persistentvolume" varchar(253) NULL,
    "storageclass" varchar(50) NULL,
    "pod_labels" jsonb NULL,
    "resource_id" varchar(253) NULL,
    "usage_start" date NOT NULL,
    "usage_end" date NOT NULL,
    "product_code" text NOT NULL,
    "product_family" varchar(150) NULL,
    "instance_type" varchar(50) NULL,
    "usage_account_id" varchar(50) NOT NULL,
    "availability_zone" varchar(50) NULL,
    "region" varchar(50) NULL,
    "unit" varchar(63) NULL,
    "usage_amount" numeric(30, 15) NULL,
    "normalized_usage_amount" double precision NULL,
    "currency_code" varchar(10) NULL,
    "unblended_cost" numeric(30, 15) NULL,
    "markup_cost" numeric(30, 15) NULL,
    "blended_cost" numeric(33, 15) NULL,
    "markup_cost_blended" numeric(33, 15) NULL,
    "markup_cost_savingsplan" numeric(33, 15) NULL,
    "markup_cost_amortized" numeric(33, 9) NULL,
    "savingsplan_effective_cost" numeric(33, 15) NULL,
    "calculated_amortized_cost" numeric(33, 9) NULL,
    "tags" jsonb NULL,
    "source_uuid" uuid NULL,
    "account_alias_id" integer NULL,
    "cost_entry_bill_id" integer NULL,
    "report_period_id" integer NULL,
    "cost_category_id" integer NULL,
    "aws_cost_category" jsonb NULL,
    "data_transfer_direction" text NULL,
    "infrastructure_data_in_gigabytes" numeric(33, 15) NULL,
    "infrastructure_data_out_gigabytes" numeric(33, 15) NULL
) PARTITION BY RANGE ("usage_start");
ALTER TABLE "reporting_ocpawscostlineitem_project_daily_summary_p"
    ADD CONSTRAINT "reporting_ocpawscostlineitem_project_daily_summary_p_pk" PRIMARY KEY ("usage_start", "uuid");
CREATE INDEX "p_cost_prj_sum_ocp_use_idx" ON "reporting_ocpawscostlineitem_project_daily_summary_p" ("usage_start");
CREATE INDEX "p_cost_prj_sum_nspc_idx" ON "reporting_ocpawscostlineitem_project_daily_summary_p" ("namespace" varchar_pattern_ops);
CREATE INDEX "p_cost_prj_sum_nd_idx" ON "reporting_ocpawscostlineitem_project_daily_summary_p" ("node" varchar_pattern_ops);
CREATE INDEX "p_cost_prj_sum_rsrc_idx" ON "reporting_ocpawscostlineitem_project_daily_summary_p" ("resource_id");
CREATE INDEX "p_cost_prj_pod_lbls_idx" ON "reporting_ocpawscostlineitem_project_daily_summary_p" USING gin ("pod_labels");
CREATE INDEX "aws_cost_category_idx" ON "reporting_ocpawscostlineitem_project_daily_summary_p" USING gin ("aws_cost_category");
CREATE INDEX "p_ocpaws_prj_prd_fam_idx" ON "reporting_ocpawscostlineitem_project_daily_summary_p" ("product_family");
CREATE INDEX "p_ocpaws_prj_inst_typ_idx" ON "reporting_ocpawscostlineitem_project_daily_summary_p" ("instance_type");
ALTER TABLE "reporting_ocpawscostlineitem_project_daily_summary_p" ADD CONSTRAINT "ocpawsprj_account_alias_id_fk"
    FOREIGN KEY ("account_alias_id") REFERENCES "reporting_awsaccountalias" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "reporting_ocpawscostlineitem_project_daily_summary_p" ADD CONSTRAINT "ocpawsprj_cost_entry_bill_id_fk"
    FOREIGN KEY ("cost_entry_bill_id") REFERENCES "reporting_awscostentrybill" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "reporting_ocpawscostlineitem_project_daily_summary_p" ADD CONSTRAINT "ocpawsprj_report_period_id_fk"
    FOREIGN KEY ("report_period_id") REFERENCES "reporting_ocpusagereportperiod" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "reporting_ocpawscostlineitem_project_daily_summary_p" ADD CONSTRAINT "ocpawsprj_cost_category_id_fk"
    FOREIGN KEY ("cost_category_id") REFERENCES "reporting_ocp_cost_category" ("id") DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX "ocpawsprj_account_alias_id" ON "reporting_ocpawscostlineitem_project_daily_summary_p" ("account_alias_id");
CREATE INDEX "ocpawsprj_cost_entry_bill_id" ON "reporting_ocpawscostlineitem_project_daily_summary_p" ("cost_entry_bill_id");
CREATE INDEX "ocpawsprj_report_period_id" ON "reporting_ocpawscostlineitem_project_daily_summary_p" ("report_period_id");
CREATE INDEX "ocpawsprj_cost_category_id" ON "reporting_ocpawscostlineitem_project_daily_summary_p" ("cost_category_id");
INSERT INTO partitioned_tables (schema_name, table_name, partition_of_table_name, partition_type, partition_col, partition_parameters, active)
VALUES (current_schema, 'reporting_ocpawscostlineitem_project_daily_summary_p_default',
        'reporting_ocpawscostlineitem_project_daily_summary_p', 'range', 'usage_start', '{"default": true}'::jsonb, true);

-- Fixture: the AWS source, its bill of 2025-11 and two account aliases.
-- Partitions are left to ocpagg (created the way Koku does).
INSERT INTO reporting_tenant_api_provider (uuid, name, type)
VALUES ('2f1d1c35-5a0e-4b8e-9a53-0d1d6c7e4a10', 'aws-sample', 'AWS');
INSERT INTO reporting_awscostentrybill (id, billing_resource, bill_type, payer_account_id, billing_period_start, billing_period_end, provider_id)
VALUES (7, 'aws', 'Anniversary', '123456789012', '2025-11-01 00:00:00+00', '2025-12-01 00:00:00+00', '2f1d1c35-5a0e-4b8e-9a53-0d1d6c7e4a10');
INSERT INTO reporting_awsaccountalias (id, account_id, account_alias)
VALUES (42, '123456789012', 'prod'), (43, '210987654321', 'dev');
