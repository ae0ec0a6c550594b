/**
 * Every file under examples/ and what it needs to run: nothing (in-process databases), or a
 * PostgreSQL or MySQL-family server (it reads DATABASE_URL). readme.test.ts checks this list
 * against the folder, so a new example cannot go unrun.
 */
export type ExampleNeeds = 'nothing' | 'PostgreSQL' | 'MariaDB'

/** The examples, by file name under examples/. */
export const EXAMPLES: ReadonlyArray<{ readonly file: string; readonly needs: ExampleNeeds }> = [
  { file: 'quickstart.ts', needs: 'nothing' },
  { file: 'sqlite.ts', needs: 'nothing' },
  { file: 'pglite.ts', needs: 'nothing' },
  { file: 'task-kinds.ts', needs: 'nothing' },
  { file: 'job-runner.ts', needs: 'nothing' },
  { file: 'logging.ts', needs: 'nothing' },
  { file: 'postgres.ts', needs: 'PostgreSQL' },
  { file: 'mysql.ts', needs: 'MariaDB' },
]
