CREATE TABLE `batch_chunks` (
	`id` bigint AUTO_INCREMENT NOT NULL,
	`batch_id` bigint NOT NULL,
	`step_id` bigint,
	`chunk_index` int NOT NULL,
	`start_row` int NOT NULL,
	`end_row` int NOT NULL,
	`status` varchar(191) NOT NULL,
	`created_at` bigint NOT NULL,
	`updated_at` bigint NOT NULL,
	CONSTRAINT `batch_chunks_id` PRIMARY KEY(`id`),
	CONSTRAINT `batch_chunks_index_uq` UNIQUE(`batch_id`,`chunk_index`),
	CONSTRAINT `batch_chunks_status_ck` CHECK(`status` in ('pending', 'processing', 'failed', 'completed'))
);
--> statement-breakpoint
CREATE TABLE `batches` (
	`id` bigint AUTO_INCREMENT NOT NULL,
	`name` varchar(191) NOT NULL,
	`status` varchar(191) NOT NULL,
	`raw_data` json,
	`total_rows` int NOT NULL,
	`processed_count` int NOT NULL,
	`error_count` int NOT NULL,
	`workflow_id` bigint,
	`created_at` bigint NOT NULL,
	`updated_at` bigint NOT NULL,
	`deleted_at` bigint,
	CONSTRAINT `batches_id` PRIMARY KEY(`id`),
	CONSTRAINT `batches_status_ck` CHECK(`status` in ('pending', 'processing', 'failed', 'completed', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE `error_rows` (
	`id` bigint AUTO_INCREMENT NOT NULL,
	`batch_id` bigint NOT NULL,
	`chunk_id` bigint,
	`row_index` int NOT NULL,
	`data` json,
	`error` json,
	`created_at` bigint NOT NULL,
	CONSTRAINT `error_rows_id` PRIMARY KEY(`id`),
	CONSTRAINT `error_rows_row_uq` UNIQUE(`batch_id`,`row_index`)
);
--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`id` bigint AUTO_INCREMENT NOT NULL,
	`scope` varchar(191) NOT NULL,
	`key` varchar(191) NOT NULL,
	`status` varchar(191) NOT NULL,
	`claim_token` varchar(191) NOT NULL,
	`result` json,
	`created_at` bigint NOT NULL,
	`completed_at` bigint,
	CONSTRAINT `idempotency_keys_id` PRIMARY KEY(`id`),
	CONSTRAINT `idempotency_keys_scope_key_uq` UNIQUE(`scope`,`key`),
	CONSTRAINT `idempotency_keys_status_ck` CHECK(`status` in ('in_progress', 'completed'))
);
--> statement-breakpoint
CREATE TABLE `job_attempts` (
	`id` bigint AUTO_INCREMENT NOT NULL,
	`workflow_id` bigint NOT NULL,
	`step_id` bigint NOT NULL,
	`attempt_number` int NOT NULL,
	`worker_id` varchar(191),
	`status` varchar(191) NOT NULL,
	`error` json,
	`started_at` bigint NOT NULL,
	`finished_at` bigint,
	CONSTRAINT `job_attempts_id` PRIMARY KEY(`id`),
	CONSTRAINT `job_attempts_step_number_uq` UNIQUE(`step_id`,`attempt_number`),
	CONSTRAINT `job_attempts_status_ck` CHECK(`status` in ('running', 'succeeded', 'failed'))
);
--> statement-breakpoint
CREATE TABLE `processed_rows` (
	`id` bigint AUTO_INCREMENT NOT NULL,
	`batch_id` bigint NOT NULL,
	`chunk_id` bigint,
	`row_index` int NOT NULL,
	`data` json,
	`created_at` bigint NOT NULL,
	CONSTRAINT `processed_rows_id` PRIMARY KEY(`id`),
	CONSTRAINT `processed_rows_row_uq` UNIQUE(`batch_id`,`row_index`)
);
--> statement-breakpoint
CREATE TABLE `timers` (
	`id` bigint AUTO_INCREMENT NOT NULL,
	`workflow_id` bigint NOT NULL,
	`step_id` bigint,
	`status` varchar(191) NOT NULL,
	`due_at` bigint NOT NULL,
	`payload` json,
	`fired_at` bigint,
	`created_at` bigint NOT NULL,
	`updated_at` bigint NOT NULL,
	CONSTRAINT `timers_id` PRIMARY KEY(`id`),
	CONSTRAINT `timers_status_ck` CHECK(`status` in ('scheduled', 'fired', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE `workflow_history` (
	`id` bigint AUTO_INCREMENT NOT NULL,
	`workflow_id` bigint NOT NULL,
	`step_id` bigint,
	`event` varchar(191) NOT NULL,
	`data` json,
	`created_at` bigint NOT NULL,
	CONSTRAINT `workflow_history_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `workflow_steps` (
	`id` bigint AUTO_INCREMENT NOT NULL,
	`workflow_id` bigint NOT NULL,
	`name` varchar(191) NOT NULL,
	`status` varchar(191) NOT NULL,
	`position` int NOT NULL,
	`parallel_group` varchar(191),
	`input` json,
	`output` json,
	`error` json,
	`attempts` int NOT NULL,
	`max_attempts` int NOT NULL,
	`claimed_by` varchar(191),
	`lease_expires_at` bigint,
	`created_at` bigint NOT NULL,
	`updated_at` bigint NOT NULL,
	`started_at` bigint,
	`finished_at` bigint,
	CONSTRAINT `workflow_steps_id` PRIMARY KEY(`id`),
	CONSTRAINT `workflow_steps_name_uq` UNIQUE(`workflow_id`,`name`),
	CONSTRAINT `workflow_steps_status_ck` CHECK(`status` in ('pending', 'running', 'succeeded', 'failed', 'skipped'))
);
--> statement-breakpoint
CREATE TABLE `workflows` (
	`id` bigint AUTO_INCREMENT NOT NULL,
	`name` varchar(191) NOT NULL,
	`status` varchar(191) NOT NULL,
	`input` json,
	`output` json,
	`error` json,
	`attempts` int NOT NULL,
	`created_at` bigint NOT NULL,
	`updated_at` bigint NOT NULL,
	`started_at` bigint,
	`finished_at` bigint,
	`deleted_at` bigint,
	CONSTRAINT `workflows_id` PRIMARY KEY(`id`),
	CONSTRAINT `workflows_status_ck` CHECK(`status` in ('pending', 'running', 'paused', 'failed', 'completed', 'cancelled'))
);
--> statement-breakpoint
ALTER TABLE `batch_chunks` ADD CONSTRAINT `batch_chunks_batch_fk` FOREIGN KEY (`batch_id`) REFERENCES `batches`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `batch_chunks` ADD CONSTRAINT `batch_chunks_step_fk` FOREIGN KEY (`step_id`) REFERENCES `workflow_steps`(`id`) ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `batches` ADD CONSTRAINT `batches_workflow_fk` FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `error_rows` ADD CONSTRAINT `error_rows_batch_fk` FOREIGN KEY (`batch_id`) REFERENCES `batches`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `error_rows` ADD CONSTRAINT `error_rows_chunk_fk` FOREIGN KEY (`chunk_id`) REFERENCES `batch_chunks`(`id`) ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `job_attempts` ADD CONSTRAINT `job_attempts_workflow_fk` FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `job_attempts` ADD CONSTRAINT `job_attempts_step_fk` FOREIGN KEY (`step_id`) REFERENCES `workflow_steps`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `processed_rows` ADD CONSTRAINT `processed_rows_batch_fk` FOREIGN KEY (`batch_id`) REFERENCES `batches`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `processed_rows` ADD CONSTRAINT `processed_rows_chunk_fk` FOREIGN KEY (`chunk_id`) REFERENCES `batch_chunks`(`id`) ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `timers` ADD CONSTRAINT `timers_workflow_fk` FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `timers` ADD CONSTRAINT `timers_step_fk` FOREIGN KEY (`step_id`) REFERENCES `workflow_steps`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `workflow_history` ADD CONSTRAINT `workflow_history_workflow_fk` FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `workflow_history` ADD CONSTRAINT `workflow_history_step_fk` FOREIGN KEY (`step_id`) REFERENCES `workflow_steps`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `workflow_steps` ADD CONSTRAINT `workflow_steps_workflow_fk` FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX `batch_chunks_step_ix` ON `batch_chunks` (`step_id`);--> statement-breakpoint
CREATE INDEX `batches_status_ix` ON `batches` (`status`);--> statement-breakpoint
CREATE INDEX `batches_workflow_ix` ON `batches` (`workflow_id`);--> statement-breakpoint
CREATE INDEX `error_rows_chunk_ix` ON `error_rows` (`chunk_id`);--> statement-breakpoint
CREATE INDEX `job_attempts_workflow_ix` ON `job_attempts` (`workflow_id`);--> statement-breakpoint
CREATE INDEX `processed_rows_chunk_ix` ON `processed_rows` (`chunk_id`);--> statement-breakpoint
CREATE INDEX `timers_due_ix` ON `timers` (`status`,`due_at`);--> statement-breakpoint
CREATE INDEX `timers_target_ix` ON `timers` (`workflow_id`,`step_id`);--> statement-breakpoint
CREATE INDEX `workflow_history_timeline_ix` ON `workflow_history` (`workflow_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `workflow_steps_claim_ix` ON `workflow_steps` (`workflow_id`,`status`,`position`);--> statement-breakpoint
CREATE INDEX `workflow_steps_group_ix` ON `workflow_steps` (`workflow_id`,`parallel_group`);--> statement-breakpoint
CREATE INDEX `workflows_status_ix` ON `workflows` (`status`);