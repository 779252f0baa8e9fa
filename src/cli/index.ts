#!/usr/bin/env node
import { runCli } from './commands';

runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTty: process.stderr.isTTY === true,
}).then((code) => {
  process.exitCode = code;
});
