// Keep test output readable: apps started in-process log to a buffer unless asked otherwise.
process.env.LOG_LEVEL ??= 'warn';
