ALTER TABLE "job_attempts" DROP CONSTRAINT "job_attempts_step_fk";
--> statement-breakpoint
ALTER TABLE "timers" DROP CONSTRAINT "timers_step_fk";
--> statement-breakpoint
ALTER TABLE "job_attempts" ADD CONSTRAINT "job_attempts_step_fk" FOREIGN KEY ("workflow_id","step_id") REFERENCES "public"."workflow_steps"("workflow_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "timers" ADD CONSTRAINT "timers_step_fk" FOREIGN KEY ("workflow_id","step_id") REFERENCES "public"."workflow_steps"("workflow_id","id") ON DELETE cascade ON UPDATE no action;