PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_job_attempts` (
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
	FOREIGN KEY (`workflow_id`,`step_id`) REFERENCES `workflow_steps`(`workflow_id`,`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "job_attempts_status_ck" CHECK("status" in ('running', 'succeeded', 'failed'))
);
--> statement-breakpoint
INSERT INTO `__new_job_attempts`("id", "workflow_id", "step_id", "attempt_number", "worker_id", "status", "error", "started_at", "finished_at") SELECT "id", "workflow_id", "step_id", "attempt_number", "worker_id", "status", "error", "started_at", "finished_at" FROM `job_attempts`;--> statement-breakpoint
DROP TABLE `job_attempts`;--> statement-breakpoint
ALTER TABLE `__new_job_attempts` RENAME TO `job_attempts`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `job_attempts_step_number_uq` ON `job_attempts` (`step_id`,`attempt_number`);--> statement-breakpoint
CREATE INDEX `job_attempts_workflow_ix` ON `job_attempts` (`workflow_id`);--> statement-breakpoint
CREATE INDEX `job_attempts_target_ix` ON `job_attempts` (`workflow_id`,`step_id`);--> statement-breakpoint
CREATE TABLE `__new_timers` (
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
	FOREIGN KEY (`workflow_id`,`step_id`) REFERENCES `workflow_steps`(`workflow_id`,`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "timers_status_ck" CHECK("status" in ('scheduled', 'fired', 'cancelled'))
);
--> statement-breakpoint
INSERT INTO `__new_timers`("id", "workflow_id", "step_id", "status", "due_at", "payload", "fired_at", "created_at", "updated_at") SELECT "id", "workflow_id", "step_id", "status", "due_at", "payload", "fired_at", "created_at", "updated_at" FROM `timers`;--> statement-breakpoint
DROP TABLE `timers`;--> statement-breakpoint
ALTER TABLE `__new_timers` RENAME TO `timers`;--> statement-breakpoint
CREATE INDEX `timers_due_ix` ON `timers` (`status`,`due_at`);--> statement-breakpoint
CREATE INDEX `timers_target_ix` ON `timers` (`workflow_id`,`step_id`);