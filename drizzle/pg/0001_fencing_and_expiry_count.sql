ALTER TABLE "task_executions" ADD COLUMN "lease_token" text;--> statement-breakpoint
ALTER TABLE "task_executions" ADD COLUMN "expiry_count" integer DEFAULT 0 NOT NULL;