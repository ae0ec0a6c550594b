ALTER TABLE `task_executions` ADD `lease_token` text;--> statement-breakpoint
ALTER TABLE `task_executions` ADD `expiry_count` integer DEFAULT 0 NOT NULL;