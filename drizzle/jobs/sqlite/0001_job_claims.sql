ALTER TABLE `workflow_steps` ADD `available_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `workflow_steps_available_ix` ON `workflow_steps` (`available_at`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `workflow_steps_owner_uq` ON `workflow_steps` (`workflow_id`,`id`);--> statement-breakpoint
CREATE INDEX `job_attempts_target_ix` ON `job_attempts` (`workflow_id`,`step_id`);--> statement-breakpoint
CREATE INDEX `workflow_history_step_ix` ON `workflow_history` (`step_id`);