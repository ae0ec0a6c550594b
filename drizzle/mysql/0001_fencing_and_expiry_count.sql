ALTER TABLE `task_executions` MODIFY COLUMN `root_task_id` varbinary(1020);--> statement-breakpoint
ALTER TABLE `task_executions` MODIFY COLUMN `root_execution_id` varbinary(1020);--> statement-breakpoint
ALTER TABLE `task_executions` MODIFY COLUMN `parent_task_id` varbinary(1020);--> statement-breakpoint
ALTER TABLE `task_executions` MODIFY COLUMN `parent_execution_id` varbinary(1020);--> statement-breakpoint
ALTER TABLE `task_executions` MODIFY COLUMN `task_id` varbinary(1020) NOT NULL;--> statement-breakpoint
ALTER TABLE `task_executions` MODIFY COLUMN `execution_id` varbinary(1020) NOT NULL;--> statement-breakpoint
ALTER TABLE `task_executions` MODIFY COLUMN `sleeping_task_unique_id` varbinary(1020);--> statement-breakpoint
ALTER TABLE `task_executions` MODIFY COLUMN `executor_id` varbinary(1020);--> statement-breakpoint
ALTER TABLE `task_executions` MODIFY COLUMN `status` varbinary(64) NOT NULL;--> statement-breakpoint
ALTER TABLE `task_executions` MODIFY COLUMN `on_children_finished_processing_status` varbinary(64) NOT NULL;--> statement-breakpoint
ALTER TABLE `task_executions` MODIFY COLUMN `close_status` varbinary(64) NOT NULL;--> statement-breakpoint
ALTER TABLE `task_executions` ADD `lease_token` varbinary(1020);--> statement-breakpoint
ALTER TABLE `task_executions` ADD `expiry_count` int DEFAULT 0 NOT NULL;