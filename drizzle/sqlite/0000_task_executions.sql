CREATE TABLE `task_executions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`root_task_id` text,
	`root_execution_id` text,
	`parent_task_id` text,
	`parent_execution_id` text,
	`index_in_parent_children` integer,
	`is_only_child_of_parent` integer,
	`is_finalize_of_parent` integer,
	`task_id` text NOT NULL,
	`execution_id` text NOT NULL,
	`is_sleeping_task` integer NOT NULL,
	`sleeping_task_unique_id` text,
	`retry_options` text NOT NULL,
	`sleep_ms_before_run` integer NOT NULL,
	`timeout_ms` integer NOT NULL,
	`are_children_sequential` integer NOT NULL,
	`input` text NOT NULL,
	`executor_id` text,
	`status` text NOT NULL,
	`is_finished` integer NOT NULL,
	`run_output` text,
	`output` text,
	`error` text,
	`retry_attempts` integer NOT NULL,
	`start_at` integer NOT NULL,
	`started_at` integer,
	`expires_at` integer,
	`waiting_for_children_started_at` integer,
	`waiting_for_finalize_started_at` integer,
	`finished_at` integer,
	`children` text,
	`active_children_count` integer NOT NULL,
	`on_children_finished_processing_status` text NOT NULL,
	`on_children_finished_processing_expires_at` integer,
	`on_children_finished_processing_finished_at` integer,
	`finalize` text,
	`close_status` text NOT NULL,
	`close_expires_at` integer,
	`closed_at` integer,
	`needs_promise_cancellation` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ix_task_executions_execution_id` ON `task_executions` (`execution_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `ix_task_executions_sleeping_task_unique_id` ON `task_executions` (`sleeping_task_unique_id`);--> statement-breakpoint
CREATE INDEX `ix_task_executions_status_start_at` ON `task_executions` (`status`,`start_at`);--> statement-breakpoint
CREATE INDEX `ix_task_executions_status_ocfp_status_acc_updated_at` ON `task_executions` (`status`,`on_children_finished_processing_status`,`active_children_count`,`updated_at`);--> statement-breakpoint
CREATE INDEX `ix_task_executions_close_status_updated_at` ON `task_executions` (`close_status`,`updated_at`);--> statement-breakpoint
CREATE INDEX `ix_task_executions_status_is_sleeping_task_expires_at` ON `task_executions` (`status`,`is_sleeping_task`,`expires_at`);--> statement-breakpoint
CREATE INDEX `ix_task_executions_on_ocfp_expires_at` ON `task_executions` (`on_children_finished_processing_expires_at`);--> statement-breakpoint
CREATE INDEX `ix_task_executions_close_expires_at` ON `task_executions` (`close_expires_at`);--> statement-breakpoint
CREATE INDEX `ix_task_executions_executor_id_npc_updated_at` ON `task_executions` (`executor_id`,`needs_promise_cancellation`,`updated_at`);--> statement-breakpoint
CREATE INDEX `ix_task_executions_parent_execution_id_is_finished` ON `task_executions` (`parent_execution_id`,`is_finished`);--> statement-breakpoint
CREATE INDEX `ix_task_executions_is_finished_close_status_updated_at` ON `task_executions` (`is_finished`,`close_status`,`updated_at`);