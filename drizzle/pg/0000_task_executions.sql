CREATE TABLE "task_executions" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "task_executions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"root_task_id" text,
	"root_execution_id" text,
	"parent_task_id" text,
	"parent_execution_id" text,
	"index_in_parent_children" integer,
	"is_only_child_of_parent" boolean,
	"is_finalize_of_parent" boolean,
	"task_id" text NOT NULL,
	"execution_id" text NOT NULL,
	"is_sleeping_task" boolean NOT NULL,
	"sleeping_task_unique_id" text,
	"retry_options" json NOT NULL,
	"sleep_ms_before_run" bigint NOT NULL,
	"timeout_ms" bigint NOT NULL,
	"are_children_sequential" boolean NOT NULL,
	"input" text NOT NULL,
	"executor_id" text,
	"status" text NOT NULL,
	"is_finished" boolean NOT NULL,
	"run_output" text,
	"output" text,
	"error" json,
	"retry_attempts" integer NOT NULL,
	"start_at" bigint NOT NULL,
	"started_at" bigint,
	"expires_at" bigint,
	"waiting_for_children_started_at" bigint,
	"waiting_for_finalize_started_at" bigint,
	"finished_at" bigint,
	"children" json,
	"active_children_count" integer NOT NULL,
	"on_children_finished_processing_status" text NOT NULL,
	"on_children_finished_processing_expires_at" bigint,
	"on_children_finished_processing_finished_at" bigint,
	"finalize" json,
	"close_status" text NOT NULL,
	"close_expires_at" bigint,
	"closed_at" bigint,
	"needs_promise_cancellation" boolean NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "ix_task_executions_execution_id" ON "task_executions" USING btree ("execution_id");--> statement-breakpoint
CREATE UNIQUE INDEX "ix_task_executions_sleeping_task_unique_id" ON "task_executions" USING btree ("sleeping_task_unique_id");--> statement-breakpoint
CREATE INDEX "ix_task_executions_status_start_at" ON "task_executions" USING btree ("status","start_at");--> statement-breakpoint
CREATE INDEX "ix_task_executions_status_ocfp_status_acc_updated_at" ON "task_executions" USING btree ("status","on_children_finished_processing_status","active_children_count","updated_at");--> statement-breakpoint
CREATE INDEX "ix_task_executions_close_status_updated_at" ON "task_executions" USING btree ("close_status","updated_at");--> statement-breakpoint
CREATE INDEX "ix_task_executions_status_is_sleeping_task_expires_at" ON "task_executions" USING btree ("status","is_sleeping_task","expires_at");--> statement-breakpoint
CREATE INDEX "ix_task_executions_on_ocfp_expires_at" ON "task_executions" USING btree ("on_children_finished_processing_expires_at");--> statement-breakpoint
CREATE INDEX "ix_task_executions_close_expires_at" ON "task_executions" USING btree ("close_expires_at");--> statement-breakpoint
CREATE INDEX "ix_task_executions_executor_id_npc_updated_at" ON "task_executions" USING btree ("executor_id","needs_promise_cancellation","updated_at");--> statement-breakpoint
CREATE INDEX "ix_task_executions_parent_execution_id_is_finished" ON "task_executions" USING btree ("parent_execution_id","is_finished");--> statement-breakpoint
CREATE INDEX "ix_task_executions_is_finished_close_status_updated_at" ON "task_executions" USING btree ("is_finished","close_status","updated_at");