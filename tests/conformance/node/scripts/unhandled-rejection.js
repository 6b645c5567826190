// An unhandled rejection ends the process with code 1 (Node's default mode: throw).
Promise.reject(new Error('nobody caught me'));
