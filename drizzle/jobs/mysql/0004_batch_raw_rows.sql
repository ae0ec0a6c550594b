CREATE TABLE `batch_raw_rows` (
	`id` bigint AUTO_INCREMENT NOT NULL,
	`batch_id` bigint NOT NULL,
	`row_index` int NOT NULL,
	`data` json,
	`created_at` bigint NOT NULL,
	CONSTRAINT `batch_raw_rows_id` PRIMARY KEY(`id`),
	CONSTRAINT `batch_raw_rows_row_uq` UNIQUE(`batch_id`,`row_index`)
);
--> statement-breakpoint
ALTER TABLE `batch_raw_rows` ADD CONSTRAINT `batch_raw_rows_batch_fk` FOREIGN KEY (`batch_id`) REFERENCES `batches`(`id`) ON DELETE cascade ON UPDATE no action;