// Runs dynalite on a thread of its own: DynamoDB emulation then uses the second core instead of
// taking turns with the poller, the handler and the load generator on the main event loop.
const { parentPort, workerData } = require('node:worker_threads');
const dynalite = require('dynalite');

const server = dynalite(workerData.options);
server.once('error', (error) => parentPort.postMessage({ error: String(error) }));
server.listen(workerData.port, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (message) => {
  if (message === 'close') server.close(() => parentPort.postMessage({ closed: true }));
});
