ALTER TABLE `batch_chunks` MODIFY COLUMN `status` varbinary(764) NOT NULL;--> statement-breakpoint
ALTER TABLE `batches` MODIFY COLUMN `name` varbinary(764) NOT NULL;--> statement-breakpoint
ALTER TABLE `batches` MODIFY COLUMN `status` varbinary(764) NOT NULL;--> statement-breakpoint
ALTER TABLE `idempotency_keys` MODIFY COLUMN `scope` varbinary(764) NOT NULL;--> statement-breakpoint
ALTER TABLE `idempotency_keys` MODIFY COLUMN `key` varbinary(764) NOT NULL;--> statement-breakpoint
ALTER TABLE `idempotency_keys` MODIFY COLUMN `status` varbinary(764) NOT NULL;--> statement-breakpoint
ALTER TABLE `idempotency_keys` MODIFY COLUMN `claim_token` varbinary(764) NOT NULL;--> statement-breakpoint
ALTER TABLE `job_attempts` MODIFY COLUMN `worker_id` varbinary(764);--> statement-breakpoint
ALTER TABLE `job_attempts` MODIFY COLUMN `status` varbinary(764) NOT NULL;--> statement-breakpoint
ALTER TABLE `timers` MODIFY COLUMN `status` varbinary(764) NOT NULL;--> statement-breakpoint
ALTER TABLE `workflow_history` MODIFY COLUMN `event` varbinary(764) NOT NULL;--> statement-breakpoint
ALTER TABLE `workflow_steps` MODIFY COLUMN `name` varbinary(764) NOT NULL;--> statement-breakpoint
ALTER TABLE `workflow_steps` MODIFY COLUMN `status` varbinary(764) NOT NULL;--> statement-breakpoint
ALTER TABLE `workflow_steps` MODIFY COLUMN `parallel_group` varbinary(764);--> statement-breakpoint
ALTER TABLE `workflow_steps` MODIFY COLUMN `claimed_by` varbinary(764);--> statement-breakpoint
ALTER TABLE `workflows` MODIFY COLUMN `name` varbinary(764) NOT NULL;--> statement-breakpoint
ALTER TABLE `workflows` MODIFY COLUMN `status` varbinary(764) NOT NULL;