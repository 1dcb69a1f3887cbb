import { ConfigError } from '../core/errors.ts';
import type { PageRenderer } from '../core/ports.ts';
import type { CompiledTemplates } from './compiled-templates.ts';
import { type Slotted, slotted } from './slots.ts';

const CONTENT = '<!-- paperboy:content -->';

/** The public pages: subscribe form, messages, the unsubscribe confirmation button. */
export class HtmlPageRenderer implements PageRenderer {
  private readonly after: Slotted;
  private readonly head: Slotted;
  private readonly subscribeBody: Slotted;
  private readonly messageBody: Slotted;
  private readonly unsubscribeBody: Slotted;

  constructor(templates: CompiledTemplates['pages']) {
    const at = templates.layout.indexOf(CONTENT);
    if (at < 0) throw new ConfigError(`the page layout must contain ${CONTENT}`);
    this.head = slotted(templates.layout.slice(0, at));
    this.after = slotted(templates.layout.slice(at + CONTENT.length));
    this.subscribeBody = slotted(templates.subscribe);
    this.messageBody = slotted(templates.message);
    this.unsubscribeBody = slotted(templates.unsubscribe);
  }

  subscribe(action: string): string {
    return this.page('Subscribe', this.subscribeBody({ action }));
  }

  message(heading: string, message: string): string {
    return this.page(heading, this.messageBody({ heading, message }));
  }

  unsubscribe(action: string): string {
    return this.page('Unsubscribe', this.unsubscribeBody({ action }));
  }

  private page(title: string, body: string): string {
    return this.head({ title }) + body + this.after({});
  }
}
