CREATE TABLE `batch_chunks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`batch_id` integer NOT NULL,
	`step_id` integer,
	`chunk_index` integer NOT NULL,
	`start_row` integer NOT NULL,
	`end_row` integer NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`batch_id`) REFERENCES `batches`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`step_id`) REFERENCES `workflow_steps`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "batch_chunks_status_ck" CHECK("status" in ('pending', 'processing', 'failed', 'completed'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `batch_chunks_index_uq` ON `batch_chunks` (`batch_id`,`chunk_index`);--> statement-breakpoint
CREATE INDEX `batch_chunks_step_ix` ON `batch_chunks` (`step_id`);--> statement-breakpoint
CREATE TABLE `batches` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`raw_data` text,
	`total_rows` integer NOT NULL,
	`processed_count` integer NOT NULL,
	`error_count` integer NOT NULL,
	`workflow_id` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "batches_status_ck" CHECK("status" in ('pending', 'processing', 'failed', 'completed', 'cancelled'))
);
--> statement-breakpoint
CREATE INDEX `batches_status_ix` ON `batches` (`status`);--> statement-breakpoint
CREATE INDEX `batches_workflow_ix` ON `batches` (`workflow_id`);--> statement-breakpoint
CREATE TABLE `error_rows` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`batch_id` integer NOT NULL,
	`chunk_id` integer,
	`row_index` integer NOT NULL,
	`data` text,
	`error` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`batch_id`) REFERENCES `batches`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`chunk_id`) REFERENCES `batch_chunks`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `error_rows_row_uq` ON `error_rows` (`batch_id`,`row_index`);--> statement-breakpoint
CREATE INDEX `error_rows_chunk_ix` ON `error_rows` (`chunk_id`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`scope` text NOT NULL,
	`key` text NOT NULL,
	`status` text NOT NULL,
	`claim_token` text NOT NULL,
	`result` text,
	`created_at` integer NOT NULL,
	`completed_at` integer,
	CONSTRAINT "idempotency_keys_status_ck" CHECK("status" in ('in_progress', 'completed'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `idempotency_keys_scope_key_uq` ON `idempotency_keys` (`scope`,`key`);--> statement-breakpoint
CREATE TABLE `job_attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`workflow_id` integer NOT NULL,
	`step_id` integer NOT NULL,
	`attempt_number` integer NOT NULL,
	`worker_id` text,
	`status` text NOT NULL,
	`error` text,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`step_id`) REFERENCES `workflow_steps`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "job_attempts_status_ck" CHECK("status" in ('running', 'succeeded', 'failed'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `job_attempts_step_number_uq` ON `job_attempts` (`step_id`,`attempt_number`);--> statement-breakpoint
CREATE INDEX `job_attempts_workflow_ix` ON `job_attempts` (`workflow_id`);--> statement-breakpoint
CREATE TABLE `processed_rows` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`batch_id` integer NOT NULL,
	`chunk_id` integer,
	`row_index` integer NOT NULL,
	`data` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`batch_id`) REFERENCES `batches`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`chunk_id`) REFERENCES `batch_chunks`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `processed_rows_row_uq` ON `processed_rows` (`batch_id`,`row_index`);--> statement-breakpoint
CREATE INDEX `processed_rows_chunk_ix` ON `processed_rows` (`chunk_id`);--> statement-breakpoint
CREATE TABLE `timers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`workflow_id` integer NOT NULL,
	`step_id` integer,
	`status` text NOT NULL,
	`due_at` integer NOT NULL,
	`payload` text,
	`fired_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`step_id`) REFERENCES `workflow_steps`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "timers_status_ck" CHECK("status" in ('scheduled', 'fired', 'cancelled'))
);
--> statement-breakpoint
CREATE INDEX `timers_due_ix` ON `timers` (`status`,`due_at`);--> statement-breakpoint
CREATE INDEX `timers_target_ix` ON `timers` (`workflow_id`,`step_id`);--> statement-breakpoint
CREATE TABLE `workflow_history` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`workflow_id` integer NOT NULL,
	`step_id` integer,
	`event` text NOT NULL,
	`data` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`step_id`) REFERENCES `workflow_steps`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `workflow_history_timeline_ix` ON `workflow_history` (`workflow_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `workflow_steps` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`workflow_id` integer NOT NULL,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`position` integer NOT NULL,
	`parallel_group` text,
	`input` text,
	`output` text,
	`error` text,
	`attempts` integer NOT NULL,
	`max_attempts` integer NOT NULL,
	`claimed_by` text,
	`lease_expires_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "workflow_steps_status_ck" CHECK("status" in ('pending', 'running', 'succeeded', 'failed', 'skipped'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `workflow_steps_name_uq` ON `workflow_steps` (`workflow_id`,`name`);--> statement-breakpoint
CREATE INDEX `workflow_steps_claim_ix` ON `workflow_steps` (`workflow_id`,`status`,`position`);--> statement-breakpoint
CREATE INDEX `workflow_steps_group_ix` ON `workflow_steps` (`workflow_id`,`parallel_group`);--> statement-breakpoint
CREATE TABLE `workflows` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`input` text,
	`output` text,
	`error` text,
	`attempts` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`deleted_at` integer,
	CONSTRAINT "workflows_status_ck" CHECK("status" in ('pending', 'running', 'paused', 'failed', 'completed', 'cancelled'))
);
--> statement-breakpoint
CREATE INDEX `workflows_status_ix` ON `workflows` (`status`);