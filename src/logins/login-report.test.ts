import { describe, expect, it } from 'vitest';
import { readLoginCsv } from './login-csv.js';
import { csvCell, loginEmail } from './login-report.js';
import { scoreLogins } from './login-scoring.js';

describe('csvCell', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    // A spreadsheet would run these as formulas: they are made text.
    ['=HYPERLINK("http://evil")', `"'=HYPERLINK(""http://evil"")"`],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['+1-555', "'+1-555"],
    // Numbers stay numbers.
    ['-3', '-3'],
    ['+0.5', '+0.5'],
    ['1,-2', '"1,-2"'],
    // A formula after a separator, where a spreadsheet splitting on `;` (or `,`, tab) starts a cell.
    ["x;=cmd|' /C calc'!A0", "x;'=cmd|' /C calc'!A0"],
    ["x,=cmd|' /C calc'!A0", `"x,'=cmd|' /C calc'!A0"`],
    ['x\t@SUM(A1)', "x\t'@SUM(A1)"],
    ['a;b;+1-555', "a;b;'+1-555"],
    ['x\n-2+3', `"x\n'-2+3"`],
    ['x"=1+1', `"x""'=1+1"`],
    ['=1;=2', "'=1;'=2"],
    ['a;-5;b', 'a;-5;b'],
    ['a; =1', "a;' =1"],
    [' =1', "' =1"],
    ['a; -5', 'a; -5'],
    ['\t-3', "'\t-3"],
  ])('%j → %s', (cell, expected) => expect(csvCell(cell)).toBe(expected));
});

describe('loginEmail', () => {
  it('escapes every uploaded cell in the HTML', () => {
    const rows = Array.from({ length: 30 }, (_, i) => `u${i % 3},2026-11-${String((i % 28) + 1).padStart(2, '0')}T09:00:00Z,GB,mac`);
    rows.push('u1,2026-11-29T03:00:00Z,XX,<img src=x onerror=alert(1)>');
    const table = readLoginCsv(`user,time,country,device\n${rows.join('\n')}`);
    if (!table.ok) throw new Error(table.error.message);
    const scoring = scoreLogins(table.value, 0.05);
    const mail = loginEmail('upl_1', scoring, new Set(scoring.rows.map((r) => r.hash)), (row, role) =>
      role === 'device' ? (row.cells[3] as string) : '',
    );
    expect(scoring.rows.at(-1)?.flagged).toBe(true);
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(mail.html).not.toContain('<img');
    expect(mail.attachment.content).toContain('<img src=x onerror=alert(1)>');
  });
});
