import { openSqlite, writeBatcher } from '@shardline/server';
import { describe, expect, it } from 'vitest';

describe('writeBatcher (group commit on SQLite)', () => {
  it('runs the writes of one moment in one transaction, answers after it, and fails a bad one alone', async () => {
    const database = openSqlite(':memory:');
    database.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    const batched = writeBatcher(database);
    const events: string[] = [];
    const insert = (id: number, v: string | null) =>
      batched(() => {
        events.push(`run ${id}${database.inTransaction ? ' in a transaction' : ''}`);
        return database.prepare('INSERT INTO t (id, v) VALUES (?, ?)').run(id, v).changes;
      }).then(
        () => events.push(`done ${id}`),
        () => events.push(`refused ${id}`),
      );
    await Promise.all([insert(1, 'a'), insert(2, null) /* NOT NULL */, insert(3, 'c')]);
    expect(events).toEqual([
      'run 1 in a transaction',
      'run 2 in a transaction',
      'run 3 in a transaction',
      'done 1',
      'refused 2',
      'done 3',
    ]);
    expect(database.prepare('SELECT id FROM t ORDER BY id').all()).toEqual([{ id: 1 }, { id: 3 }]);
    await insert(4, 'd'); // a later moment: a batch of its own
    expect(events.slice(-2)).toEqual(['run 4 in a transaction', 'done 4']);
    database.close();
  });
});
