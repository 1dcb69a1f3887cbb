import { createHash } from 'node:crypto';
import { ConfigError } from '../core/errors.ts';
import type { FeedAlternates, PageRenderer, PreferencesPageView } from '../core/ports.ts';
import type { CompiledTemplates } from './compiled-templates.ts';
import { escapeHtml, type Slotted, slotted, withFeedAlternates } from './slots.ts';

const CONTENT = '<!-- paperboy:content -->';

/** Each inline `<script>` or `<style>` block of the templates, by its exact text. */
function inlineBlocks(html: string, tag: 'script' | 'style'): string[] {
  return [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'gu'))].map((m) => m[1] as string);
}

/** The learned section of the preference centre: counts in a sentence, the words as lists. */
function learnedSlots(learned: PreferencesPageView['learned']): Record<string, string> {
  const plural = (n: number) => (n === 1 ? 'paper' : 'papers');
  const summary = learned.unreadable
    ? 'Something was stored from your clicks but could not be read, so digests ignore it. Your next “More like this” or “Fewer like this” click starts afresh and replaces it, as does “Reset what Paperboy learned”.'
    : learned.liked + learned.disliked === 0
      ? 'Nothing yet. Each paper in a digest has “More like this” and “Fewer like this” links: one click, and the next digests follow it.'
      : `You asked for more like ${learned.liked} ${plural(learned.liked)} and fewer like ${learned.disliked} ${plural(learned.disliked)}.`;
  const list = (label: string, words: readonly string[]) =>
    words.length > 0
      ? `<p><strong>${escapeHtml(label)}</strong> ${words.map((w) => escapeHtml(w)).join(', ')}</p>`
      : '';
  return {
    learnedSummary: summary,
    learnedWords: list('More of:', learned.likedWords) + list('Less of:', learned.dislikedWords),
  };
}

/** The personal feed's links and its reset form; nothing for a reader who is not active. */
function feedSection(feed: PreferencesPageView['feed']): string {
  if (!feed) return '';
  return `<h2>Your personal feed</h2><p>Your digests' papers, with why each was chosen, in any feed reader. Keep this link to yourself: anyone who has it can read your papers.</p><ul class="links"><li><a href="${escapeHtml(feed.atom)}" id="personal-feed">Atom feed</a></li><li><a href="${escapeHtml(feed.json)}">JSON feed</a></li></ul><form method="post" action="${escapeHtml(feed.resetAction)}"><button type="submit" class="secondary">Reset this link</button></form>`;
}

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * The public pages: the sign-up form, the confirm step, the preference centre, unsubscribe,
 * erasure and messages. Templates are cut once into slots; every value is escaped. The pages'
 * own script and style blocks are allowed by hash, and nothing else: the policy has no
 * 'unsafe-inline', no remote source and forbids framing.
 */
export class HtmlPageRenderer implements PageRenderer {
  readonly contentSecurityPolicy: string;
  private readonly head: Slotted;
  private readonly after: Slotted;
  private readonly body: { [K in keyof CompiledTemplates['pages']]: Slotted };

  constructor(templates: CompiledTemplates['pages']) {
    const at = templates.layout.indexOf(CONTENT);
    if (at < 0) throw new ConfigError(`the page layout must contain ${CONTENT}`);
    this.head = slotted(templates.layout.slice(0, at));
    this.after = slotted(templates.layout.slice(at + CONTENT.length));
    this.body = Object.fromEntries(
      Object.entries(templates).map(([name, html]) => [name, slotted(html)]),
    ) as HtmlPageRenderer['body'];
    const all = Object.values(templates).join('\n');
    const scripts = inlineBlocks(all, 'script').map(hash);
    const styles = inlineBlocks(all, 'style').map(hash);
    this.contentSecurityPolicy = [
      "default-src 'none'",
      `style-src ${styles.join(' ') || "'none'"}`,
      `script-src ${scripts.join(' ') || "'none'"}`,
      "form-action 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; ');
  }

  subscribe(view: { action: string; suggestions: readonly string[]; feeds?: FeedAlternates }): string {
    const suggestions = view.suggestions.length
      ? `<fieldset><legend class="hint">Or pick from this week's topics</legend><div class="choices">${view.suggestions
          .map(
            (topic, i) =>
              `<label><input type="checkbox" name="topics" value="${escapeHtml(topic)}" id="suggested-${i}">${escapeHtml(topic)}</label>`,
          )
          .join('')}</div></fieldset>`
      : '';
    return withFeedAlternates(
      this.page('Subscribe', this.body.subscribe({ action: view.action, suggestions })),
      view.feeds,
    );
  }

  message(heading: string, message: string): string {
    return this.page(heading, this.body.message({ heading, message }));
  }

  confirm(action: string): string {
    return this.page('Confirm', this.body.confirm({ action }));
  }

  confirmed(view: { message: string; preferencesUrl: string }): string {
    return this.page('You are subscribed', this.body.confirmed(view));
  }

  preferences(view: PreferencesPageView): string {
    const { preferences: p } = view;
    const frequencyOptions = (
      [
        ['daily', 'Every day'],
        ['weekly', 'Once a week'],
        ['none', 'No email (personal feed only)'],
      ] as const
    )
      .map(
        ([value, text]) =>
          `<option value="${value}"${p.frequency === value ? ' selected' : ''}>${escapeHtml(text)}</option>`,
      )
      .join('');
    const resumeForm = view.paused
      ? `<form method="post" action="${escapeHtml(view.action)}"><input type="hidden" name="resume" value="true"><button type="submit">Resume now</button></form>`
      : '';
    return this.page(
      'Your preferences',
      this.body.preferences({
        status: view.status,
        action: view.action,
        topics: p.topics.join(', '),
        authors: p.authors.join(', '),
        exclude: p.exclude.join(', '),
        digestSize: String(p.digestSize),
        frequencyOptions,
        resumeForm,
        exportUrl: view.exportUrl,
        eraseUrl: view.eraseUrl,
        unsubscribeAction: view.unsubscribeAction,
        ...learnedSlots(view.learned),
        resetLearnedAction: view.resetLearnedAction,
        feedSection: feedSection(view.feed),
      }),
    );
  }

  vote(view: { action: string; vote: 'more' | 'fewer'; title: string }): string {
    const more = view.vote === 'more';
    return this.page(
      more ? 'More like this' : 'Fewer like this',
      this.body.vote({
        action: view.action,
        heading: more ? 'More papers like this one' : 'Fewer papers like this one',
        lead: `“${view.title}”: ${more ? 'your next digests will bring more papers like it.' : 'your next digests will bring fewer papers like it.'} One more click to save it.`,
        button: more ? 'Yes, more like this' : 'Yes, fewer like this',
      }),
    );
  }

  unsubscribe(action: string): string {
    return this.page('Unsubscribe', this.body.unsubscribe({ action }));
  }

  unsubscribed(view: { resubscribeAction: string }): string {
    return this.page('You are unsubscribed', this.body.unsubscribed(view));
  }

  erase(view: { action: string; preferencesUrl: string }): string {
    return this.page('Erase your data', this.body.erase(view));
  }

  linkExpired(action: string, lead = 'Links to your preferences work for 90 days.'): string {
    return this.page('Link expired', this.body['link-expired']({ action, lead }));
  }

  private page(title: string, body: string): string {
    return this.head({ title }) + body + this.after({});
  }
}
