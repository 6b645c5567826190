// AsyncLocalStorage keeps context across timers, promises and fs callbacks.
const { AsyncLocalStorage } = require('async_hooks'), fs = require('fs');
const als = new AsyncLocalStorage();
for (const id of [1, 2, 3]) als.run({ id }, () => {
  setTimeout(() => Promise.resolve().then(() => fs.stat('/tmp', () => console.log('ctx', id, als.getStore().id))), 10 * id);
});
