CREATE TABLE `task_executions` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`root_task_id` varchar(255),
	`root_execution_id` varchar(255),
	`parent_task_id` varchar(255),
	`parent_execution_id` varchar(255),
	`index_in_parent_children` int,
	`is_only_child_of_parent` boolean,
	`is_finalize_of_parent` boolean,
	`task_id` varchar(255) NOT NULL,
	`execution_id` varchar(255) NOT NULL,
	`is_sleeping_task` boolean NOT NULL,
	`sleeping_task_unique_id` varchar(255),
	`retry_options` json NOT NULL,
	`sleep_ms_before_run` bigint NOT NULL,
	`timeout_ms` bigint NOT NULL,
	`are_children_sequential` boolean NOT NULL,
	`input` longtext NOT NULL,
	`executor_id` varchar(255),
	`status` varchar(64) NOT NULL,
	`is_finished` boolean NOT NULL,
	`run_output` longtext,
	`output` longtext,
	`error` json,
	`retry_attempts` int NOT NULL,
	`start_at` bigint NOT NULL,
	`started_at` bigint,
	`expires_at` bigint,
	`waiting_for_children_started_at` bigint,
	`waiting_for_finalize_started_at` bigint,
	`finished_at` bigint,
	`children` json,
	`active_children_count` int NOT NULL,
	`on_children_finished_processing_status` varchar(64) NOT NULL,
	`on_children_finished_processing_expires_at` bigint,
	`on_children_finished_processing_finished_at` bigint,
	`finalize` json,
	`close_status` varchar(64) NOT NULL,
	`close_expires_at` bigint,
	`closed_at` bigint,
	`needs_promise_cancellation` boolean NOT NULL,
	`created_at` bigint NOT NULL,
	`updated_at` bigint NOT NULL,
	CONSTRAINT `task_executions_id` PRIMARY KEY(`id`),
	CONSTRAINT `ix_task_executions_execution_id` UNIQUE(`execution_id`),
	CONSTRAINT `ix_task_executions_sleeping_task_unique_id` UNIQUE(`sleeping_task_unique_id`)
);
--> statement-breakpoint
CREATE INDEX `ix_task_executions_status_start_at` ON `task_executions` (`status`,`start_at`);--> statement-breakpoint
CREATE INDEX `ix_task_executions_status_ocfp_status_acc_updated_at` ON `task_executions` (`status`,`on_children_finished_processing_status`,`active_children_count`,`updated_at`);--> statement-breakpoint
CREATE INDEX `ix_task_executions_close_status_updated_at` ON `task_executions` (`close_status`,`updated_at`);--> statement-breakpoint
CREATE INDEX `ix_task_executions_status_is_sleeping_task_expires_at` ON `task_executions` (`status`,`is_sleeping_task`,`expires_at`);--> statement-breakpoint
CREATE INDEX `ix_task_executions_on_ocfp_expires_at` ON `task_executions` (`on_children_finished_processing_expires_at`);--> statement-breakpoint
CREATE INDEX `ix_task_executions_close_expires_at` ON `task_executions` (`close_expires_at`);--> statement-breakpoint
CREATE INDEX `ix_task_executions_executor_id_npc_updated_at` ON `task_executions` (`executor_id`,`needs_promise_cancellation`,`updated_at`);--> statement-breakpoint
CREATE INDEX `ix_task_executions_parent_execution_id_is_finished` ON `task_executions` (`parent_execution_id`,`is_finished`);--> statement-breakpoint
CREATE INDEX `ix_task_executions_is_finished_close_status_updated_at` ON `task_executions` (`is_finished`,`close_status`,`updated_at`);