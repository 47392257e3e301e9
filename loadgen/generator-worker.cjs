// Worker entry: the load generator runs as TypeScript through tsx, and a worker starts without the
// parent's loader, so it registers tsx for CommonJS before loading the generator.
require('tsx/cjs/api').register();
require('./generator-worker.ts');
