ALTER TABLE `workflow_steps` ADD `available_at` bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `workflow_steps` ADD CONSTRAINT `workflow_steps_owner_uq` UNIQUE(`workflow_id`,`id`);--> statement-breakpoint
CREATE INDEX `job_attempts_target_ix` ON `job_attempts` (`workflow_id`,`step_id`);--> statement-breakpoint
CREATE INDEX `workflow_history_step_ix` ON `workflow_history` (`step_id`);--> statement-breakpoint
CREATE INDEX `workflow_steps_available_ix` ON `workflow_steps` (`available_at`,`id`);