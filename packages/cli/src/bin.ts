import { run } from './main';

void run(process.argv).then((code) => {
  process.exitCode = code;
});
