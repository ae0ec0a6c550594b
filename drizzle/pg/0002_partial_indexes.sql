DROP INDEX "ix_task_executions_status_start_at";--> statement-breakpoint
DROP INDEX "ix_task_executions_status_ocfp_status_acc_updated_at";--> statement-breakpoint
DROP INDEX "ix_task_executions_close_status_updated_at";--> statement-breakpoint
DROP INDEX "ix_task_executions_status_is_sleeping_task_expires_at";--> statement-breakpoint
DROP INDEX "ix_task_executions_on_ocfp_expires_at";--> statement-breakpoint
DROP INDEX "ix_task_executions_close_expires_at";--> statement-breakpoint
DROP INDEX "ix_task_executions_executor_id_npc_updated_at";--> statement-breakpoint
DROP INDEX "ix_task_executions_parent_execution_id_is_finished";--> statement-breakpoint
DROP INDEX "ix_task_executions_is_finished_close_status_updated_at";--> statement-breakpoint
CREATE INDEX "ix_task_executions_status_start_at" ON "task_executions" USING btree ("status","start_at") WHERE "task_executions"."status" = 'ready';--> statement-breakpoint
CREATE INDEX "ix_task_executions_status_ocfp_status_acc_updated_at" ON "task_executions" USING btree ("status","on_children_finished_processing_status","active_children_count","updated_at") WHERE "task_executions"."status" = 'waiting_for_children';--> statement-breakpoint
CREATE INDEX "ix_task_executions_close_status_updated_at" ON "task_executions" USING btree ("close_status","updated_at") WHERE "task_executions"."close_status" = 'ready';--> statement-breakpoint
CREATE INDEX "ix_task_executions_status_is_sleeping_task_expires_at" ON "task_executions" USING btree ("status","is_sleeping_task","expires_at") WHERE "task_executions"."status" = 'running';--> statement-breakpoint
CREATE INDEX "ix_task_executions_on_ocfp_expires_at" ON "task_executions" USING btree ("on_children_finished_processing_expires_at") WHERE "task_executions"."on_children_finished_processing_expires_at" is not null;--> statement-breakpoint
CREATE INDEX "ix_task_executions_close_expires_at" ON "task_executions" USING btree ("close_expires_at") WHERE "task_executions"."close_expires_at" is not null;--> statement-breakpoint
CREATE INDEX "ix_task_executions_executor_id_npc_updated_at" ON "task_executions" USING btree ("executor_id","needs_promise_cancellation","updated_at") WHERE "task_executions"."needs_promise_cancellation";--> statement-breakpoint
CREATE INDEX "ix_task_executions_parent_execution_id_is_finished" ON "task_executions" USING btree ("parent_execution_id","is_finished") WHERE "task_executions"."parent_execution_id" is not null;--> statement-breakpoint
CREATE INDEX "ix_task_executions_is_finished_close_status_updated_at" ON "task_executions" USING btree ("is_finished","close_status","updated_at") WHERE "task_executions"."is_finished" and "task_executions"."close_status" = 'idle';