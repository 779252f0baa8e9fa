// RUN: what the shell runs. A small shell tokenizer that splits a RUN's script (shell form,
// heredoc or exec form, `sh -c "..."` unwrapped) into simple commands, enough to recognise an
// install; not a full shell (no expansion).
import path from 'node:path';
import type { Instruction } from 'dockerfile-ast';
import { argumentsAfterFlags, joinLines, jsonArguments } from './instruction-arguments';

/** The script a RUN runs: its shell text, its heredoc's body, or an exec form's arguments. */
export function runScript(instruction: Instruction, escapeChar: string): string[][] {
  const raw = instruction.getRawArgumentsContent() ?? '';
  const afterFlags = argumentsAfterFlags(raw);
  const exec = jsonArguments(afterFlags);
  if (exec !== undefined) return expandShellC([exec]);
  const heredoc = /^<<-?\s*(["']?)([A-Za-z_][A-Za-z0-9_]*)\1/.exec(afterFlags);
  if (heredoc !== null) {
    const lines = afterFlags.split(/\r?\n/);
    const end = lines.findIndex((line, index) => index > 0 && line.trim() === heredoc[2]);
    const body = lines.slice(1, end < 0 ? undefined : end).join('\n');
    // Text after the heredoc marker on the first line (`RUN <<EOF && pip install x`) runs too.
    const firstLine = (lines[0] ?? '').slice(heredoc[0].length);
    return expandShellC([...splitCommands(firstLine), ...splitCommands(body)]);
  }
  return expandShellC(splitCommands(joinLines(afterFlags, escapeChar)));
}

/** `sh -c "pip install x"`: the string is a script of its own. */
function expandShellC(commands: string[][]): string[][] {
  return commands.flatMap((argv) => {
    const shell = path.posix.basename(argv[0] ?? '');
    if (['sh', 'bash', 'dash', 'ash', 'zsh'].includes(shell)) {
      const flag = argv.findIndex((arg, index) => index > 0 && /^-[a-z]*c[a-z]*$/.test(arg));
      const script = flag < 0 ? undefined : argv[flag + 1];
      if (script !== undefined) return expandShellC(splitCommands(script));
    }
    return [argv];
  });
}

/**
 * A shell script's simple commands, each as its words (quotes removed): split at `&&`, `||`,
 * `;`, `|`, `&`, newlines and parentheses, comments dropped. Enough to recognise an install;
 * not a full shell (no expansion).
 */
export function splitCommands(script: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  const endWord = () => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let index = 0; index < script.length; index++) {
    const char = script[index] ?? '';
    if (char === "'") {
      const end = script.indexOf("'", index + 1);
      word += script.slice(index + 1, end < 0 ? undefined : end);
      inWord = true;
      index = end < 0 ? script.length : end;
    } else if (char === '"') {
      index++;
      while (index < script.length && script[index] !== '"') {
        if (script[index] === '\\' && index + 1 < script.length) index++;
        word += script[index] ?? '';
        index++;
      }
      inWord = true;
    } else if (char === '\\') {
      if (script[index + 1] === '\n') index++;
      else {
        word += script[index + 1] ?? '';
        inWord = true;
        index++;
      }
    } else if (char === '#' && !inWord) {
      const end = script.indexOf('\n', index);
      index = end < 0 ? script.length : end - 1;
    } else if ('&|;\n()'.includes(char)) {
      endCommand();
    } else if (/\s/.test(char)) {
      endWord();
    } else {
      word += char;
      inWord = true;
    }
  }
  endCommand();
  return commands;
}
