ALTER TABLE `task_executions` MODIFY COLUMN `root_task_id` varchar(255) character set utf8mb4 collate utf8mb4_bin;--> statement-breakpoint
ALTER TABLE `task_executions` MODIFY COLUMN `root_execution_id` varchar(255) character set utf8mb4 collate utf8mb4_bin;--> statement-breakpoint
ALTER TABLE `task_executions` MODIFY COLUMN `parent_task_id` varchar(255) character set utf8mb4 collate utf8mb4_bin;--> statement-breakpoint
ALTER TABLE `task_executions` MODIFY COLUMN `parent_execution_id` varchar(255) character set utf8mb4 collate utf8mb4_bin;--> statement-breakpoint
ALTER TABLE `task_executions` MODIFY COLUMN `task_id` varchar(255) character set utf8mb4 collate utf8mb4_bin NOT NULL;--> statement-breakpoint
ALTER TABLE `task_executions` MODIFY COLUMN `execution_id` varchar(255) character set utf8mb4 collate utf8mb4_bin NOT NULL;--> statement-breakpoint
ALTER TABLE `task_executions` MODIFY COLUMN `sleeping_task_unique_id` varchar(255) character set utf8mb4 collate utf8mb4_bin;--> statement-breakpoint
ALTER TABLE `task_executions` MODIFY COLUMN `executor_id` varchar(255) character set utf8mb4 collate utf8mb4_bin;--> statement-breakpoint
ALTER TABLE `task_executions` MODIFY COLUMN `status` varchar(64) character set utf8mb4 collate utf8mb4_bin NOT NULL;--> statement-breakpoint
ALTER TABLE `task_executions` MODIFY COLUMN `on_children_finished_processing_status` varchar(64) character set utf8mb4 collate utf8mb4_bin NOT NULL;--> statement-breakpoint
ALTER TABLE `task_executions` MODIFY COLUMN `close_status` varchar(64) character set utf8mb4 collate utf8mb4_bin NOT NULL;--> statement-breakpoint
ALTER TABLE `task_executions` ADD `lease_token` varchar(255) character set utf8mb4 collate utf8mb4_bin;--> statement-breakpoint
ALTER TABLE `task_executions` ADD `expiry_count` int DEFAULT 0 NOT NULL;