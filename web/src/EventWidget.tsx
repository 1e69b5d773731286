// An event type: picked from the canonical vocabulary (GET /api/v1/schema/events, one
// <datalist> for the page) or typed, for a tenant's own event types (quote.requested).
import type { WidgetProps } from "@rjsf/utils";

export const EVENT_LIST = "lf-event-types";

export interface EventType {
  name: string;
  meaning: string;
}

export function EventTypes({ events }: { events: EventType[] }) {
  return (
    <datalist id={EVENT_LIST} data-testid="event-types">
      {events.map((e) => (
        <option key={e.name} value={e.name}>
          {e.meaning}
        </option>
      ))}
    </datalist>
  );
}

export function EventWidget(props: WidgetProps) {
  const { id, value, onChange, readonly, disabled, options } = props;
  return (
    <>
      <input
        id={id}
        type="text"
        list={EVENT_LIST}
        autoComplete="off"
        value={typeof value === "string" ? value : ""}
        readOnly={readonly}
        disabled={disabled}
        aria-describedby={`${id}__hint`}
        onChange={(e) => onChange(e.target.value === "" ? options.emptyValue : e.target.value)}
      />
      <p className="field-description" id={`${id}__hint`}>
        An event type of the vocabulary (pick one), or one of your own.
      </p>
    </>
  );
}
