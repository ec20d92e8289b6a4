/** The SQL port: connection, transactions, migrations. Test databases: `sql/test-database.ts`. */
export * from './sql/create-sql.js';
export * from './sql/migrations.js';
export * from './sql/transaction.js';
