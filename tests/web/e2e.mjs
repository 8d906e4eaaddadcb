// End-to-end test of the staff workspace in a real browser: Debian's Chromium, headless, driven
// by playwright-core, against a running `intake serve` (started by tests/it/web.rs with a
// database filled from the sample mailbox). It signs in as a new staff member would, reviews
// nominations, overrides, consults, decides, and lets both office holders ratify and send the
// letters; a read-only account sees no forms. axe-core checks every page (WCAG 2.1 A and AA)
// at desktop width, and the main pages again at 320 px wide; any violation fails the run.
//
// Input (environment): INTAKE_URL, STAFF_EMAIL, STAFF_PASSWORD, HOLDER1_EMAIL,
// HOLDER1_PASSWORD, HOLDER2_EMAIL, HOLDER2_PASSWORD, READER_EMAIL, READER_PASSWORD,
// SCREENSHOTS (folder), CHROMIUM (default /usr/bin/chromium).
// Output: one line per check on stdout, a JSON summary line starting with "SUMMARY ", and
// exit code 0 only when everything passed.

import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const env = (name) => {
  const v = process.env[name];
  if (!v) { throw new Error(`missing environment variable ${name}`); }
  return v;
};
const BASE = env('INTAKE_URL').replace(/\/$/, '');
const SHOTS = process.env.SCREENSHOTS || 'target/web-screenshots';
mkdirSync(SHOTS, { recursive: true });

const summary = { axe: {}, checks: 0, failures: [], seconds: 0 };
const started = Date.now();

function check(ok, what) {
  summary.checks += 1;
  if (ok) {
    console.log(`ok   ${what}`);
  } else {
    console.log(`FAIL ${what}`);
    summary.failures.push(what);
  }
}

async function axe(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.length,
      target: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  summary.axe[name] = result.length;
  for (const v of result) {
    console.log(`     axe ${name}: ${v.id} (${v.impact}) on ${v.nodes} element(s): ${v.target.join(' | ')}`);
  }
  check(result.length === 0, `axe-core finds no WCAG 2.1 AA violation on ${name}`);
}

async function shot(page, name) {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

async function signIn(page, email, password, next = '') {
  await page.goto(`${BASE}/aanmelden${next ? `?volgende=${encodeURIComponent(next)}` : ''}`);
  await page.fill('#email', email);
  await page.fill('#wachtwoord', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]:has-text("Aanmelden")')]);
}

async function signOut(page) {
  await Promise.all([page.waitForNavigation(), page.click('header button:has-text("Afmelden")')]);
}

async function noticeText(page) {
  const n = page.locator('#melding');
  return (await n.count()) ? (await n.innerText()).trim() : '';
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  try {
    await staffFlow(browser);
    await holderFlow(browser, env('HOLDER1_EMAIL'), env('HOLDER1_PASSWORD'), 'holder1', false);
    await holderFlow(browser, env('HOLDER2_EMAIL'), env('HOLDER2_PASSWORD'), 'holder2', true);
    await readerFlow(browser);
    await narrowFlow(browser);
  } finally {
    await browser.close();
  }
}

async function staffFlow(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'nl-NL' });
  const page = await context.newPage();
  page.on('dialog', (d) => d.accept());

  // Unsigned: a page sends to sign-in and keeps where it was going.
  await page.goto(`${BASE}/selectie`);
  check(page.url() === `${BASE}/aanmelden?volgende=/selectie`, 'an unsigned visit to a page goes to the sign-in page');
  await axe(page, 'aanmelden');
  await shot(page, '01-aanmelden');

  // A wrong password: refused, nothing told about the account.
  await page.fill('#email', env('STAFF_EMAIL'));
  await page.fill('#wachtwoord', 'dit is niet het wachtwoord');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Aanmelden")')]);
  check((await noticeText(page)).includes('Aanmelden is niet gelukt'), 'a wrong password is refused with one plain message');

  // Keyboard only: skip link first, then the fields, Enter submits.
  await page.goto(`${BASE}/aanmelden?volgende=%2Fselectie`);
  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => document.activeElement && document.activeElement.textContent.trim());
  check(first === 'Naar de inhoud', 'the first Tab stop is the skip link');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  check(outline !== 'none', 'the focused element has a visible outline');
  await page.focus('#email');
  await page.keyboard.type(env('STAFF_EMAIL'));
  await page.keyboard.press('Tab');
  await page.keyboard.type(env('STAFF_PASSWORD'));
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  check(page.url() === `${BASE}/selectie`, 'signing in with the keyboard lands on the page asked for');

  // The nominations table.
  await page.goto(`${BASE}/voordrachten`);
  await axe(page, 'voordrachten');
  await shot(page, '02-voordrachten');
  const refs = await page.locator('table caption#tabel-voordrachten ~ tbody tr th[scope=row] a').allInnerTexts();
  check(refs.length >= 5, `the table lists the current nominations (${refs.length})`);
  const provinces = await page.locator('#f-provincie option').allInnerTexts();
  check(provinces.includes('Utrecht') && provinces.length >= 13, 'the province filter offers every province');

  // Filter by keyboard-operable controls, then sort.
  await page.selectOption('#f-op_tijd', 'nee');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Filter toepassen")')]);
  const late = await page.locator('table caption#tabel-voordrachten ~ tbody tr').count();
  const lateBadges = await page.locator('table caption#tabel-voordrachten ~ tbody tr:has(.badge.bad:has-text("te laat"))').count();
  check(late >= 1 && late === lateBadges, `the on-time filter keeps only late nominations (${late})`);
  await page.goto(`${BASE}/voordrachten?sorteer=gemeente`);
  const sorted = await page.locator('th[aria-sort="ascending"]').innerText();
  check(sorted.startsWith('Gemeente'), 'sorting by municipality marks the column with aria-sort');

  // One nomination: the letter with marked evidence beside the findings.
  const ref = refs[1] || refs[0];
  await page.goto(`${BASE}/voordrachten/${ref}`);
  await axe(page, `voordracht ${ref}`);
  await shot(page, '03-voordracht');
  const marks = await page.locator('.letter mark.ev').count();
  const tags = await page.locator('.letter mark.ev .tag').count();
  check(marks > 0 && tags >= marks, `the letter marks its evidence sentences with a text tag (${marks} marks)`);
  await page.locator('.letter mark.ev').first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/03b-brief-en-beoordeling.png` });
  const srLabel = await page.locator('.letter mark.ev .tag .vh').first().innerText();
  check(/bewijs voor/.test(srLabel), 'each mark carries a text label for screen readers');

  // Override criterion 3 with a note.
  const criterion = page.locator('.criterion').last();
  await criterion.locator('summary').click();
  await criterion.locator('input[type=radio][value="weak"]').check();
  await criterion.locator('textarea').fill('Browser-test: tweede lezing, deels aangetoond.');
  await Promise.all([page.waitForNavigation(), criterion.locator('button:has-text("Advies opslaan")').click()]);
  check((await noticeText(page)).includes('Het advies is aangepast'), 'an override in place is confirmed');
  const history = await page.locator('ol.timeline').innerText();
  check(history.includes('advies aangepast') && history.includes(env('STAFF_EMAIL')), 'the override is in the history with the signed-in person');

  // Consult the partners.
  const consult = page.locator('button:has-text("om advies")');
  if (await consult.count()) {
    await Promise.all([page.waitForNavigation(), consult.click()]);
    check((await noticeText(page)).includes('De partners zijn om advies gevraagd'), 'consulting the partners is confirmed');
    const partners = await page.locator('h2:has-text("Raadpleging") ~ h3').count();
    check(partners >= 1, `the consultation lists each partner (${partners})`);
  } else {
    check(false, 'the consult button is shown for a nomination that was not consulted');
  }

  // Correct the municipality of the first nomination (the staff know better: Utrecht).
  await page.goto(`${BASE}/voordrachten/${refs[0]}`);
  const gm = page.locator('details.act:has(summary:has-text("Gemeente corrigeren"))');
  await gm.locator('summary').click();
  await page.selectOption('#gemeente', 'GM0344');
  await Promise.all([page.waitForNavigation(), gm.locator('button').click()]);
  check((await noticeText(page)).includes('De gemeente is aangepast'), 'correcting the municipality is confirmed');
  check((await page.locator('h1').innerText()).includes('Gemeente Utrecht'), 'the corrected municipality is shown');

  // The consultation board and the other pages.
  await page.goto(`${BASE}/raadpleging`);
  await axe(page, 'raadpleging');
  await shot(page, '04-raadpleging');
  check((await page.locator('h2:has-text("Per voordracht")').count()) === 1, 'the consultation board shows the candidates');
  const objectionRef = process.env.OBJECTION_REF;
  if (objectionRef) {
    // Held and unclear answers first, with their text; then the objection, set aside in place.
    const waiting = await page.locator('h2:has-text("Wacht op een medewerker") + section, h2:has-text("Wacht op een medewerker") ~ section.card').count();
    check(waiting >= 2, `answers that wait for staff are listed first (${waiting})`);
    check((await page.locator('.answer-text').first().innerText()).length > 0, 'each waiting answer shows its text');
    const boards = await page.locator('caption').allInnerTexts();
    check(boards.length > 0 && boards[0].includes(objectionRef), 'the candidate with an unread answer or objection comes first');
    await page.goto(`${BASE}/voordrachten/${objectionRef}`);
    await axe(page, `voordracht met bezwaar ${objectionRef}`);
    const aside = page.locator('details.act:has(summary:has-text("terzijde leggen"))').first();
    await aside.locator('summary').click();
    await aside.locator('textarea').fill('Browser-test: besproken met Ieder(in); het bezwaar gaat over een ander project.');
    await Promise.all([page.waitForNavigation(), aside.locator('button').click()]);
    check((await noticeText(page)).includes('Het bezwaar is terzijde gelegd'), 'setting an objection aside is confirmed');
    check((await page.locator('.badge:has-text("bezwaar terzijde gelegd")').count()) === 1, 'the objection stays on record, marked as set aside');

    // Settle the waiting answers on the board: the unclear one counts as support, the held one not.
    await page.goto(`${BASE}/raadpleging`);
    const unclear = page.locator('section.card', { hasText: 'Kunnen we even bellen?' });
    const accept = unclear.locator('details.act').nth(0);
    await accept.locator('summary').click();
    await accept.locator('input[value="support"]').check();
    await accept.locator('textarea').fill('Browser-test: nagebeld, de partner steunt de voordracht.');
    await axe(page, 'raadpleging (antwoord laten tellen)');
    await shot(page, '04b-antwoord-laten-tellen');
    await Promise.all([page.waitForNavigation(), accept.locator('button').click()]);
    check((await noticeText(page)).includes('telt nu mee'), 'counting an unclear answer is confirmed');
    const held = page.locator('section.card', { hasText: 'Niet doen.' });
    const reject = held.locator('details.act').nth(1);
    await reject.locator('summary').click();
    await reject.locator('textarea').fill('Browser-test: niet door de partner zelf verstuurd.');
    await Promise.all([page.waitForNavigation(), reject.locator('button').click()]);
    check((await noticeText(page)).includes('telt niet mee'), 'not counting a held answer is confirmed');
    check((await page.locator('section.card').count()) === 0, 'no answer waits any more');

    // A local contact: added on the nomination page, then asked for advice.
    await page.goto(`${BASE}/voordrachten/${objectionRef}`);
    const add = page.locator('details.act:has(summary:has-text("lokale organisatie toevoegen"))');
    await add.locator('summary').click();
    await page.fill('#contact-naam', 'Adviesraad Sociaal Domein');
    await page.fill('#contact-adres', 'adviesraad@example.org');
    await page.selectOption('#contact-soort', 'adviesraad');
    await Promise.all([page.waitForNavigation(), add.locator('button').click()]);
    check((await noticeText(page)).includes('lokale organisatie is toegevoegd'), 'adding a local contact is confirmed');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Vraag ook 1 bevestigde lokale organisatie")')]);
    check((await page.locator('h3:has-text("Adviesraad Sociaal Domein (lokaal)")').count()) === 1, 'the local contact is consulted like a partner');
    await axe(page, `voordracht met lokale organisatie ${objectionRef}`);
    await shot(page, '04c-lokale-organisatie');
    await page.goto(`${BASE}/raadpleging`);
    const localRows = await page.locator('th:has-text("Adviesraad Sociaal Domein (lokaal)")').count();
    check(localRows >= 1, `the board lists the local contact (${localRows})`);
  }

  // Decide every current nomination: the first half selected, the rest reserve.
  for (const [i, r] of refs.entries()) {
    await page.goto(`${BASE}/voordrachten/${r}`);
    const decision = i < Math.ceil(refs.length / 2) ? 'selected' : 'reserve';
    await page.check(`#besluit-${decision}`);
    await page.fill('#besluit-toelichting', `Browser-test: ${decision}.`);
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Besluit vastleggen")')]);
    const ok = (await noticeText(page)).includes('Het besluit is vastgelegd');
    if (!ok) { check(false, `deciding ${r}`); }
  }
  check(true, `decided ${refs.length} nominations`);

  await page.goto(`${BASE}/selectie`);
  await axe(page, 'selectie');
  await shot(page, '05-selectie');
  const stats = await page.locator('.card .stat').allInnerTexts();
  check(stats[3] === '0', 'after deciding all, none is left without a decision');

  // A staff member cannot ratify.
  await page.goto(`${BASE}/bekrachtiging`);
  check((await page.locator('button:has-text("Ik bekrachtig")').count()) === 0, 'a staff member gets no ratify button');

  for (const [path, name] of [['/overzicht', 'overzicht'], ['/export', 'export'], ['/bekrachtiging', 'bekrachtiging (medewerker)']]) {
    await page.goto(`${BASE}${path}`);
    await axe(page, name);
  }
  await shot(page, '06-bekrachtiging-medewerker');
  const csv = await page.request.get(`${BASE}/export/voordrachten.csv`);
  check(csv.status() === 200 && (await csv.text()).includes(refs[0]), 'the CSV export downloads with the nominations');
  const xlsx = await page.request.get(`${BASE}/export/voordrachten.xlsx`);
  check(xlsx.status() === 200 && (await xlsx.body()).subarray(0, 2).toString() === 'PK', 'the Excel export downloads');

  // An error page is accessible too.
  await page.goto(`${BASE}/voordrachten/KVN-9999`);
  await axe(page, 'niet gevonden');

  await signOut(page);
  check(page.url().startsWith(`${BASE}/aanmelden`), 'signing out returns to the sign-in page');
  await page.goto(`${BASE}/voordrachten`);
  check(page.url().startsWith(`${BASE}/aanmelden`), 'after signing out the pages are closed again');
  await context.close();
}

async function holderFlow(browser, email, password, name, last) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'nl-NL' });
  const page = await context.newPage();
  page.on('dialog', (d) => d.accept());
  await signIn(page, email, password, '/bekrachtiging');
  check(page.url() === `${BASE}/bekrachtiging`, `${name} signs in on the ratification page`);
  await axe(page, `bekrachtiging (${name})`);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Ik bekrachtig de keuze")')]);
  check((await noticeText(page)).includes('Uw bekrachtiging is vastgelegd'), `${name} ratifies`);
  if (last) {
    await shot(page, '07-bekrachtigd');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Verstuur de besluitbrieven")')]);
    check((await noticeText(page)).includes('besluitbrieven'), 'after both ratified, the decision letters are sent');
    await axe(page, 'bekrachtiging (brieven verstuurd)');
    await shot(page, '08-brieven');
  } else {
    const send = await page.locator('button:has-text("Verstuur de besluitbrieven")').count();
    check(send === 0, 'with one ratification the letters cannot be sent yet');
  }
  await context.close();
}

async function readerFlow(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'nl-NL' });
  const page = await context.newPage();
  await signIn(page, env('READER_EMAIL'), env('READER_PASSWORD'));
  check(page.url() === `${BASE}/voordrachten`, 'the read-only account signs in');
  const first = await page.locator('table caption#tabel-voordrachten ~ tbody tr th[scope=row] a').first().innerText();
  await page.goto(`${BASE}/voordrachten/${first}`);
  const forms = await page.locator('main form').count();
  check(forms === 0, 'a read-only account sees no forms on a nomination');
  await axe(page, 'voordracht (alleen lezen)');
  await context.close();
}

async function narrowFlow(browser) {
  // 320 CSS px wide: the reflow width of WCAG 1.4.10 (and 1280 px at 400 %, 640 px at 200 %).
  const context = await browser.newContext({ viewport: { width: 320, height: 640 }, locale: 'nl-NL' });
  const page = await context.newPage();
  await signIn(page, env('STAFF_EMAIL'), env('STAFF_PASSWORD'));
  for (const [path, name] of [['/voordrachten', 'voordrachten-320'], ['/raadpleging', 'raadpleging-320'], ['/selectie', 'selectie-320'], ['/bekrachtiging', 'bekrachtiging-320']]) {
    await page.goto(`${BASE}${path}`);
    await axe(page, `${name}`);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    check(wide <= 321, `${name}: no horizontal scrolling of the page (${wide} px)`);
    await shot(page, `09-${name}`);
  }
  await page.goto(`${BASE}/voordrachten`);
  const ref = await page.locator('table caption#tabel-voordrachten ~ tbody tr th[scope=row] a').first().innerText();
  await page.goto(`${BASE}/voordrachten/${ref}`);
  await axe(page, 'voordracht-320');
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= 321, `voordracht-320: no horizontal scrolling of the page (${wide} px)`);
  await shot(page, '10-voordracht-320');
  await page.locator('.letter mark.ev').first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/10b-brief-320.png` });
  await context.close();
  // 200 % zoom on a 1280 px screen: a 640 px wide viewport at device scale 2.
  const zoomed = await browser.newContext({ viewport: { width: 640, height: 450 }, deviceScaleFactor: 2, locale: 'nl-NL' });
  const z = await zoomed.newPage();
  await signIn(z, env('STAFF_EMAIL'), env('STAFF_PASSWORD'));
  await z.goto(`${BASE}/voordrachten/${ref}`);
  const zw = await z.evaluate(() => document.documentElement.scrollWidth);
  check(zw <= 641, `at 200 % zoom the nomination page does not scroll sideways (${zw} px)`);
  await shot(z, '11-voordracht-200procent');
  await zoomed.close();
}

main()
  .catch((e) => {
    summary.failures.push(`error: ${e && e.stack ? e.stack : e}`);
    console.log(`FAIL ${e && e.stack ? e.stack : e}`);
  })
  .finally(() => {
    summary.seconds = Math.round((Date.now() - started) / 1000);
    console.log(`SUMMARY ${JSON.stringify(summary)}`);
    process.exitCode = summary.failures.length === 0 && summary.checks > 0 ? 0 : 1;
  });
