// The shell tokenizer that reads a RUN's script: simple commands, their words, quotes and comments.
import { describe, expect, it } from 'vitest';
import { splitCommands } from '../../../src/dockerfile/shell-script';

describe('splitCommands', () => {
  it('splits at operators outside quotes and drops comments', () => {
    expect(splitCommands(`a 'b && c' && d "e;f" ; g | h # i && j\nk\\ l`)).toEqual([
      ['a', 'b && c'],
      ['d', 'e;f'],
      ['g'],
      ['h'],
      ['k l'],
    ]);
  });
});
