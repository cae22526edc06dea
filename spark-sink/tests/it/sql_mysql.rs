//! The SQL store on MySQL/MariaDB (needs `SPARKPLUG_TEST_MYSQL_URL`).
