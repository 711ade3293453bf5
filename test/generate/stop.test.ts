/**
 * Stop strings across chunk boundaries (held-back text, false alarms, earliest match), checked also
 * against random texts and random chunkings; and StopCriteria's EOS lists, max tokens and tails.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StopCriteria } from '../../src/generate/stop-criteria.js';
import { StopStrings } from '../../src/generate/stop.js';
import { Rng } from '../../src/generate/sampling-rng.js';

describe('StopStrings', () => {
  it('finds a stop string split over several chunks and holds back its start', () => {
    const s = new StopStrings(['Observation:']);
    assert.deepEqual(s.push('Hello Obs'), { text: 'Hello ' });
    assert.deepEqual(s.push('erv'), { text: '' });
    assert.deepEqual(s.push('ation: more'), { text: '', stop: 'Observation:' });
    assert.equal(s.stopped, true);
    assert.deepEqual(s.push('anything'), { text: '' });
    assert.equal(s.flush(), '');
  });

  it('releases held text when it turns out not to be a stop string', () => {
    const s = new StopStrings(['Observation:']);
    assert.deepEqual(s.push('Obs'), { text: '' });
    assert.deepEqual(s.push('cure'), { text: 'Obscure' });
    assert.deepEqual(s.push(' Ob'), { text: ' ' });
    assert.equal(s.flush(), 'Ob');
  });

  it('stops at the earliest of several stop strings', () => {
    const s = new StopStrings(['END', 'b c']);
    assert.deepEqual(s.push('a b c END'), { text: 'a ', stop: 'b c' });
  });

  it('matches what a whole-text search finds, for random texts and chunkings', () => {
    const rng = new Rng(5);
    const stops = ['abc', 'cab', 'bb'];
    for (let trial = 0; trial < 300; trial++) {
      const text = Array.from({ length: 30 }, () => 'abcd'[Math.floor(rng.next() * 4)]).join('');
      let first = text.length;
      for (const st of stops) {
        const i = text.indexOf(st);
        if (i >= 0) first = Math.min(first, i);
      }
      const s = new StopStrings(stops);
      let out = '';
      for (let i = 0; i < text.length; ) {
        const n = 1 + Math.floor(rng.next() * 4);
        out += s.push(text.slice(i, i + n)).text;
        assert.ok(text.startsWith(out), 'released text is never taken back');
        for (const st of stops) assert.ok(!out.includes(st), `released a stop string in ${out}`);
        i += n;
      }
      out += s.flush();
      assert.equal(out, text.slice(0, first), text);
      assert.equal(s.stopped, first < text.length);
    }
  });
});

describe('StopCriteria', () => {
  it('ends at any id of the EOS list without showing it', () => {
    const c = new StopCriteria({ eosIds: [2, 518] });
    assert.deepEqual(c.step(10, 'Hi'), { text: 'Hi' });
    assert.deepEqual(c.step(518, '<|eom|>'), { text: '', finish: 'eos' });
    assert.equal(c.finishReason, 'eos');
    assert.deepEqual(c.step(11, 'x'), { text: '', finish: 'eos' });
  });

  it('shows EOS text and goes on when told to ignore EOS', () => {
    const c = new StopCriteria({ eosIds: [2], ignoreEos: true, maxTokens: 2 });
    assert.deepEqual(c.step(2, '</s>'), { text: '</s>' });
    assert.deepEqual(c.step(3, 'a'), { text: 'a', finish: 'length' });
  });

  it('ends after maxTokens and releases held text on close', () => {
    const c = new StopCriteria({ maxTokens: 2, stop: ['STOP'] });
    assert.equal(c.exhausted, false);
    assert.deepEqual(c.step(1, 'go '), { text: 'go ' });
    assert.deepEqual(c.step(2, 'ST'), { text: '', finish: 'length' });
    assert.equal(c.exhausted, true);
    assert.deepEqual(c.close(''), { text: 'ST', finish: 'length' });
    assert.equal(new StopCriteria({ maxTokens: 0 }).exhausted, true);
  });

  it('finds a stop string completed by the decoder tail on close', () => {
    const c = new StopCriteria({ stop: ['ST!'], eosIds: [0] });
    assert.deepEqual(c.step(5, 'ok ST'), { text: 'ok ' });
    assert.deepEqual(c.step(0, ''), { text: '', finish: 'eos' });
    assert.deepEqual(c.close('! tail'), { text: '', finish: 'stop', stop: 'ST!' });
  });

  it('rejects a bad maxTokens', () => {
    assert.throws(() => new StopCriteria({ maxTokens: -1 }), RangeError);
  });
});
