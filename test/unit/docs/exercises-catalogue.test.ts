// exercises/README.md is the pack's catalogue: one row per exercise with its points. This test
// keeps it from drifting: every exercise.yaml has its row with the right total, and every row
// names an exercise of the pack (a row marked † is one still on another branch, and must lose its
// mark once the exercise is in the tree, so that its points get checked too).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadExercises } from '../../../src/spec/discover';
import type { LoadedExercise } from '../../../src/spec/load';

const PACK = path.resolve(__dirname, '../../../exercises');
const CATALOGUE = path.join(PACK, 'README.md');
const PENDING_MARK = '†';

interface CatalogueRow {
  line: number;
  lesson: string;
  id: string;
  link: string;
  points: number;
  pending: boolean;
}

/** The rows of the catalogue table: | Lesson | [id](link) | checks | points [†] | task |. */
function catalogueRows(markdown: string): CatalogueRow[] {
  const rows: CatalogueRow[] = [];
  const row = /^\| ([^|]+) \| \[([^\]]+)\]\(([^)]+)\) \| [^|]+ \| (\d+(?:\.\d+)?)( †)? \| [^|]+ \|$/;
  for (const [index, text] of markdown.split('\n').entries()) {
    if (!text.startsWith('| ') || text.startsWith('| Lesson ') || text.startsWith('| --- ')) continue;
    const match = row.exec(text);
    if (match === null) throw new Error(`${CATALOGUE}:${index + 1}: not a catalogue row: ${text}`);
    const [, lesson = '', id = '', link = '', points = '', mark] = match;
    rows.push({ line: index + 1, lesson, id, link, points: Number(points), pending: mark !== undefined });
  }
  return rows;
}

function totalPoints(exercise: LoadedExercise): number {
  return exercise.spec.checks.reduce((sum, check) => sum + (check.points ?? 1), 0);
}

describe('the exercise catalogue (exercises/README.md)', () => {
  let exercises: LoadedExercise[] = [];
  let rows: CatalogueRow[] = [];

  beforeAll(async () => {
    exercises = await loadExercises([PACK]);
    rows = catalogueRows(readFileSync(CATALOGUE, 'utf8'));
  });

  it('has one row per exercise, none twice', () => {
    expect(exercises.length).toBeGreaterThan(0);
    const ids = rows.map((row) => row.id);
    expect(ids.filter((id, index) => ids.indexOf(id) !== index)).toEqual([]);
    const listed = new Set(ids);
    const missing = exercises.map((exercise) => exercise.spec.id).filter((id) => !listed.has(id));
    expect(missing, 'exercises with no row in exercises/README.md').toEqual([]);
  });

  it('lists nothing that is not in the pack, except rows marked as pending', () => {
    const inPack = new Set(exercises.map((exercise) => exercise.spec.id));
    const unknown = rows.filter((row) => !row.pending && !inPack.has(row.id)).map((row) => row.id);
    expect(unknown, 'rows naming no exercise.yaml of the pack').toEqual([]);
    const landed = rows.filter((row) => row.pending && inPack.has(row.id)).map((row) => row.id);
    expect(
      landed,
      `exercises in the pack whose row is still marked ${PENDING_MARK}: check its points, drop the mark`,
    ).toEqual([]);
  });

  it("gives each exercise's total points", () => {
    const byId = new Map(rows.map((row) => [row.id, row]));
    const wrong = exercises
      .map((exercise) => ({
        id: exercise.spec.id,
        points: totalPoints(exercise),
        row: byId.get(exercise.spec.id),
      }))
      .filter(({ points, row }) => row !== undefined && row.points !== points)
      .map(
        ({ id, points, row }) =>
          `${id}: the catalogue says ${row?.points}, exercise.yaml adds up to ${points}`,
      );
    expect(wrong).toEqual([]);
  });

  it('files each row under its lesson and links to its folder', () => {
    const misfiled = rows
      .filter((row) => row.lesson.split(' ')[1] !== row.id.split('/')[0] || row.link !== `${row.id}/`)
      .map((row) => `line ${row.line}: ${row.lesson} / ${row.id} -> ${row.link}`);
    expect(misfiled).toEqual([]);
  });
});
