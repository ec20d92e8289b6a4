/**
 * Categories: the whole tree (built-in and the user's own), custom categories created under any
 * parent, renamed, moved and deleted; the categorization rules in the order the stream jobs try
 * them, created, edited and deleted. Every change names the revision this screen read (If-Match):
 * one made meanwhile elsewhere is refused (412), said, and the lists are read again.
 */
import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { json } from '../api.js';
import { categoryLabel } from '../categories.js';
import { CategoryOptions } from '../category-options.js';
import {
  categoryForest,
  categoryIdFor,
  changeFailure,
  describeMatch,
  flattenForest,
  nameLengthMax,
  nextPriority,
  otherConditions,
  priorityMax,
  ruleCurrency,
  ruleFieldsOf,
  RuleFormError,
  ruleRequestOf,
  rulesInOrder,
  sendChange,
  subtreeIds,
  type CategoryNode,
  type CategoryRule,
  type CustomCategory,
  type RuleFields,
} from '../category-rules.js';
import { useApp } from '../context.js';
import { ErrorText, InitialSelect } from '../ui.js';

/** What a change tells the page: its new revision, what to read again, where focus goes. */
interface Changed {
  revision: number | undefined;
  categories: boolean;
  focus: string;
}

/** What the forms share: the revision to send, and how to report a change or a failure. */
interface Editing {
  revision: number | undefined;
  onChanged(change: Changed): void;
  /** A failed change: true when it was stale (the page then reloads and says so). */
  onFailed(error: unknown, fallback: string): string | undefined;
  /** Moves focus to the element with this id once it is on screen. */
  focus(id: string): void;
}

const treeTitleId = 'category-tree-title';
const rulesTitleId = 'category-rules-title';
const categoryElementId = (id: string) => `category-${id}`;
const ruleElementId = (id: string) => `rule-${id}`;

/** Esc in an edit form is its Cancel. */
function escapeCancels(onCancel: (() => void) | undefined) {
  return (event: KeyboardEvent) => {
    if (event.key !== 'Escape' || !onCancel) return;
    event.preventDefault();
    onCancel();
  };
}

/** A form's last lines: what went wrong, Cancel (when editing), the submit button. */
function FormEnd(props: {
  error: string | undefined;
  onCancel: (() => void) | undefined;
  submit: string;
}): JSX.Element {
  return (
    <>
      <ErrorText message={props.error} />
      <div class="actions">
        {props.onCancel && (
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        )}
        <button type="submit" class="primary">
          {props.submit}
        </button>
      </div>
    </>
  );
}

/** The parent <option>s: every category, indented by depth, but not `exclude` (a subtree). */
function ParentOptions(props: {
  forest: readonly CategoryNode[];
  exclude: ReadonlySet<string>;
}): JSX.Element {
  return (
    <>
      <option value="">None (top level)</option>
      {flattenForest(props.forest)
        .filter(({ entry }) => !props.exclude.has(entry.id))
        .map(({ entry, depth }) => (
          <option key={entry.id} value={entry.id}>
            {`${'\u00a0\u00a0'.repeat(depth)}${entry.name}`}
          </option>
        ))}
    </>
  );
}

function CategoryForm(props: {
  editing: Editing;
  forest: readonly CategoryNode[];
  category?: CustomCategory;
  onCancel?(): void;
}): JSX.Element {
  const app = useApp();
  const { category } = props;
  const [error, setError] = useState<string>();
  const exclude = useMemo(
    () => (category ? subtreeIds(props.forest, category.id) : new Set<string>()),
    [props.forest, category?.id],
  );
  async function submit(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const name = String(form.get('name') ?? '').trim();
    const parent = String(form.get('parentId') ?? '');
    if (!name) {
      setError('Give the category a name.');
      return;
    }
    setError(undefined);
    try {
      if (category) {
        const { revision } = await sendChange<CustomCategory>(
          'PATCH',
          `/v1/categories/custom/${encodeURIComponent(category.id)}`,
          { name, parentId: parent || null },
          props.editing.revision,
        );
        app.notify(`Category ${name} saved`);
        props.editing.onChanged({
          revision,
          categories: true,
          focus: categoryElementId(category.id),
        });
      } else {
        const id = categoryIdFor(name, app.categories.ids);
        const { revision, item } = await sendChange<CustomCategory>(
          'POST',
          '/v1/categories/custom',
          { ...(id ? { id } : {}), name, ...(parent ? { parentId: parent } : {}) },
          props.editing.revision,
        );
        app.notify(`Category ${name} created`);
        props.editing.onChanged({
          revision,
          categories: true,
          focus: categoryElementId(item?.id ?? id ?? ''),
        });
      }
    } catch (e) {
      setError(props.editing.onFailed(e, 'Could not save the category.'));
    }
  }
  const title = category ? `Edit ${category.name}` : 'New category';
  return (
    <form
      class="form category-form"
      onSubmit={submit}
      onKeyDown={escapeCancels(props.onCancel)}
      aria-label={title}
    >
      {!category && <h3>{title}</h3>}
      <div class="row">
        <label>
          Name
          <input
            name="name"
            required
            maxLength={nameLengthMax}
            defaultValue={category?.name ?? ''}
            autoFocus={category !== undefined}
          />
        </label>
        <label>
          Under
          <InitialSelect name="parentId" initial={category?.parentId ?? ''}>
            <ParentOptions forest={props.forest} exclude={exclude} />
          </InitialSelect>
        </label>
      </div>
      <FormEnd
        error={error}
        onCancel={props.onCancel}
        submit={category ? 'Save category' : 'Create category'}
      />
    </form>
  );
}

function CategoryItem(props: {
  node: CategoryNode;
  forest: readonly CategoryNode[];
  editing: Editing;
  openId: string | undefined;
  setOpenId(id: string | undefined): void;
}): JSX.Element {
  const app = useApp();
  const { entry, children } = props.node;
  const [error, setError] = useState<string>();
  const open = props.openId === entry.id;
  async function remove() {
    setError(undefined);
    try {
      const { revision } = await sendChange(
        'DELETE',
        `/v1/categories/custom/${encodeURIComponent(entry.id)}`,
        undefined,
        props.editing.revision,
      );
      app.notify(`Category ${entry.name} deleted`);
      props.editing.onChanged({ revision, categories: true, focus: treeTitleId });
    } catch (e) {
      setError(props.editing.onFailed(e, 'Could not delete the category.'));
    }
  }
  return (
    <li data-category={entry.id}>
      {open ? (
        <CategoryForm
          editing={{
            ...props.editing,
            onChanged: (change) => {
              props.setOpenId(undefined);
              props.editing.onChanged(change);
            },
          }}
          forest={props.forest}
          category={{ id: entry.id, name: entry.name, parentId: entry.parentId }}
          onCancel={() => {
            props.setOpenId(undefined);
            props.editing.focus(categoryElementId(entry.id));
          }}
        />
      ) : (
        <div class="category-row">
          <span id={categoryElementId(entry.id)} tabIndex={-1} class="category-name">
            {entry.name}
          </span>
          {entry.custom && (
            <>
              <span class="chip">yours</span>
              <span class="category-actions">
                <button
                  type="button"
                  class="small"
                  aria-label={`Edit ${entry.name}`}
                  onClick={() => props.setOpenId(entry.id)}
                >
                  Edit
                </button>
                <button
                  type="button"
                  class="small danger"
                  aria-label={`Delete ${entry.name}`}
                  onClick={() => void remove()}
                >
                  Delete
                </button>
              </span>
            </>
          )}
        </div>
      )}
      <ErrorText message={error} small />
      {children.length > 0 && (
        <ul>
          {children.map((child) => (
            <CategoryItem key={child.entry.id} {...props} node={child} />
          ))}
        </ul>
      )}
    </li>
  );
}

function RuleForm(props: {
  editing: Editing;
  rule?: CategoryRule;
  priority: number;
  onCancel?(): void;
}): JSX.Element {
  const app = useApp();
  const { rule } = props;
  const [error, setError] = useState<{ field: keyof RuleFields | undefined; message: string }>();
  const currency = ruleCurrency(rule?.match, app.me.homeCurrency);
  const initial: RuleFields = rule
    ? ruleFieldsOf(rule)
    : {
        merchantContains: '',
        descriptionContains: '',
        amountMin: '',
        amountMax: '',
        category: '',
        priority: String(props.priority),
        addTags: '',
      };
  async function submit(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const field = (name: keyof RuleFields) => String(form.get(name) ?? '');
    setError(undefined);
    try {
      const body = ruleRequestOf(
        {
          merchantContains: field('merchantContains'),
          descriptionContains: field('descriptionContains'),
          amountMin: field('amountMin'),
          amountMax: field('amountMax'),
          category: field('category'),
          priority: field('priority'),
          addTags: field('addTags'),
        },
        currency,
        app.locale,
        rule?.match,
      );
      const { revision, item } = await sendChange<CategoryRule>(
        rule ? 'PATCH' : 'POST',
        rule ? `/v1/category-rules/${encodeURIComponent(rule.ruleId)}` : '/v1/category-rules',
        body,
        props.editing.revision,
      );
      app.notify(rule ? 'Rule saved' : `Rule created: into ${categoryLabel(body.category)}`);
      const id = rule?.ruleId ?? item?.ruleId;
      props.editing.onChanged({
        revision,
        categories: false,
        focus: id ? ruleElementId(id) : rulesTitleId,
      });
    } catch (e) {
      const message = props.editing.onFailed(e, 'Could not save the rule.');
      if (message) setError({ field: e instanceof RuleFormError ? e.field : undefined, message });
    }
  }
  const title = rule ? 'Edit rule' : 'New rule';
  // Conditions made through the API that the form has no field for.
  const kept = rule ? describeMatch(otherConditions(rule.match), app.locale) : '';
  const invalid = (name: keyof RuleFields) => (error?.field === name ? true : undefined);
  return (
    <form
      class="card form"
      onSubmit={submit}
      onKeyDown={escapeCancels(props.onCancel)}
      aria-label={title}
    >
      <h3>{title}</h3>
      <p class="muted small">Every condition given must hold; text matches ignore case.</p>
      <div class="row">
        <label>
          Merchant contains
          <input
            name="merchantContains"
            maxLength={nameLengthMax}
            defaultValue={initial.merchantContains}
            aria-invalid={invalid('merchantContains')}
            autoFocus={rule !== undefined}
          />
        </label>
        <label>
          Description contains
          <input
            name="descriptionContains"
            maxLength={nameLengthMax}
            defaultValue={initial.descriptionContains}
          />
        </label>
      </div>
      <div class="row">
        <label>
          Amount from ({currency})
          <input
            name="amountMin"
            inputMode="decimal"
            defaultValue={initial.amountMin}
            aria-invalid={invalid('amountMin')}
          />
        </label>
        <label>
          Amount up to ({currency})
          <input
            name="amountMax"
            inputMode="decimal"
            defaultValue={initial.amountMax}
            aria-invalid={invalid('amountMax')}
          />
        </label>
      </div>
      {kept && <p class="muted small">Also, kept as they are: {kept}</p>}
      <div class="row">
        <label>
          Put in category
          <InitialSelect
            name="category"
            required
            initial={initial.category}
            aria-invalid={invalid('category')}
          >
            <option value="">Choose…</option>
            {initial.category && !app.categories.ids.has(initial.category) && (
              <option value={initial.category}>{categoryLabel(initial.category)}</option>
            )}
            <CategoryOptions />
          </InitialSelect>
        </label>
        <label>
          Priority (lower goes first)
          <input
            name="priority"
            type="number"
            min={0}
            max={priorityMax}
            step={1}
            required
            defaultValue={initial.priority}
            aria-invalid={invalid('priority')}
          />
        </label>
        <label>
          Add tags
          <input name="addTags" defaultValue={initial.addTags} placeholder="comma separated" />
        </label>
      </div>
      <FormEnd
        error={error?.message}
        onCancel={props.onCancel}
        submit={rule ? 'Save rule' : 'Create rule'}
      />
    </form>
  );
}

function RuleItem(props: {
  rule: CategoryRule;
  position: number;
  editing: Editing;
  open: boolean;
  setOpen(open: boolean): void;
}): JSX.Element {
  const app = useApp();
  const { rule, position } = props;
  const [error, setError] = useState<string>();
  const walletName = (id: string) => app.wallets.find((w) => w.id === id)?.name;
  async function remove() {
    setError(undefined);
    try {
      const { revision } = await sendChange(
        'DELETE',
        `/v1/category-rules/${encodeURIComponent(rule.ruleId)}`,
        undefined,
        props.editing.revision,
      );
      app.notify(`Rule ${position} deleted`);
      props.editing.onChanged({ revision, categories: false, focus: rulesTitleId });
    } catch (e) {
      setError(props.editing.onFailed(e, 'Could not delete the rule.'));
    }
  }
  if (props.open) {
    return (
      <li>
        <RuleForm
          editing={{
            ...props.editing,
            onChanged: (change) => {
              props.setOpen(false);
              props.editing.onChanged(change);
            },
          }}
          rule={rule}
          priority={rule.priority}
          onCancel={() => {
            props.setOpen(false);
            props.editing.focus(ruleElementId(rule.ruleId));
          }}
        />
      </li>
    );
  }
  return (
    <li class="rule" data-rule={rule.ruleId} id={ruleElementId(rule.ruleId)} tabIndex={-1}>
      <div class="rule-text">
        <span class="muted small">
          {position}. priority {rule.priority}
          {rule.origin === 'correction' ? ' · learned from a correction' : ''}
        </span>
        <span>
          If {describeMatch(rule.match, app.locale, walletName)}:{' '}
          <strong>{categoryLabel(rule.category)}</strong>
          {rule.addTags.length > 0 && <> and tag {rule.addTags.join(', ')}</>}
        </span>
      </div>
      <div class="rule-actions">
        <button
          type="button"
          aria-label={`Edit rule ${position}`}
          onClick={() => props.setOpen(true)}
        >
          Edit
        </button>
        <button
          type="button"
          class="danger"
          aria-label={`Delete rule ${position}`}
          onClick={() => void remove()}
        >
          Delete
        </button>
      </div>
      <ErrorText message={error} small />
    </li>
  );
}

export function CategoriesPage(): JSX.Element {
  const app = useApp();
  // Undefined until the first answer (or refusal): "No rules yet" only when it is so.
  const [rules, setRules] = useState<CategoryRule[]>();
  const [revision, setRevision] = useState<number>();
  const [error, setError] = useState<string>();
  const [stale, setStale] = useState<string>();
  const [reload, setReload] = useState(0);
  // Create forms start empty again after each success (not after a refusal).
  const [created, setCreated] = useState(0);
  const [openCategory, setOpenCategory] = useState<string>();
  const [openRule, setOpenRule] = useState<string>();
  const [focus, setFocus] = useState<string>();

  useEffect(() => {
    json<{ revision: number; items: CategoryRule[] }>('analytics', '/v1/category-rules').then(
      (answer) => {
        setRules(answer.items);
        setRevision(answer.revision);
        setError(undefined);
      },
      (e: unknown) => {
        setRules((current) => current ?? []);
        setError(changeFailure(e, 'Could not load the rules.').message);
      },
    );
  }, [reload]);
  // The tree may have changed elsewhere since sign-in (another tab, the phone).
  useEffect(() => void app.reloadCategories(), []);

  // After a change, focus goes to what changed once it is on screen (or to the list's heading).
  useEffect(() => {
    if (!focus) return;
    const element = document.getElementById(focus);
    if (element) {
      element.focus();
      setFocus(undefined);
    }
  });

  const forest = useMemo(() => categoryForest(app.categories.entries), [app.categories]);
  const ordered = useMemo(() => rulesInOrder(rules ?? []), [rules]);

  const editing: Editing = {
    revision,
    onChanged(change) {
      setStale(undefined);
      setRevision(change.revision);
      setCreated((n) => n + 1);
      setReload((n) => n + 1);
      app.bump();
      // A moved category is a new element in its new place: focus it once the tree is read again.
      const tree = change.categories ? app.reloadCategories() : Promise.resolve();
      void tree.then(() => setFocus(change.focus));
    },
    onFailed(e, fallback) {
      const failure = changeFailure(e, fallback);
      if (!failure.stale) return failure.message;
      // Someone else changed the set: what this screen shows is old. Say so and read it again.
      setStale(failure.message);
      setOpenCategory(undefined);
      setOpenRule(undefined);
      setReload((n) => n + 1);
      void app.reloadCategories();
      return undefined;
    },
    focus: setFocus,
  };

  const customCount = app.categories.entries.filter((e) => e.custom).length;
  return (
    <section aria-labelledby="categories-title">
      <div class="page-head">
        <h1 id="categories-title">Categories</h1>
      </div>
      <ErrorText message={stale ?? error} />
      <div class="grid categories-grid">
        <article class="card" aria-labelledby={rulesTitleId}>
          <h2 id={rulesTitleId} tabIndex={-1}>
            Rules
          </h2>
          <p class="muted small">
            New transactions go to the category of the first rule they match, before any other
            guess. A category you pick on one transaction wins over every rule.
          </p>
          <ol class="rule-list">
            {rules === undefined && (
              <li class="muted" role="status">
                Loading…
              </li>
            )}
            {rules?.length === 0 && <li class="muted">No rules yet.</li>}
            {ordered.map((rule, index) => (
              <RuleItem
                key={rule.ruleId}
                rule={rule}
                position={index + 1}
                editing={editing}
                open={openRule === rule.ruleId}
                setOpen={(open) => setOpenRule(open ? rule.ruleId : undefined)}
              />
            ))}
          </ol>
          {openRule === undefined && (
            <RuleForm
              key={`rule-${created}`}
              editing={editing}
              priority={nextPriority(rules ?? [])}
            />
          )}
        </article>
        <article class="card" aria-labelledby={treeTitleId}>
          <h2 id={treeTitleId} tabIndex={-1}>
            All categories
          </h2>
          <p class="muted small">
            {customCount === 0
              ? 'Add your own under any category, or at the top level.'
              : `${customCount} of your own.`}
          </p>
          {openCategory === undefined && (
            <CategoryForm key={`category-${created}`} editing={editing} forest={forest} />
          )}
          <ul class="category-tree">
            {forest.map((node) => (
              <CategoryItem
                key={node.entry.id}
                node={node}
                forest={forest}
                editing={editing}
                openId={openCategory}
                setOpenId={setOpenCategory}
              />
            ))}
          </ul>
        </article>
      </div>
    </section>
  );
}
