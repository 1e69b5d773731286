// An event type: picked from the canonical vocabulary (GET /api/v1/schema/events, one
// <datalist> for the page) or typed, for a tenant's own event types (quote.requested).
import type { FieldProps, WidgetProps } from "@rjsf/utils";
import { eventsText, eventsValue } from "./eventList";

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

/** An experiment metric's event types: one, or several separated by commas; the first picked
 * from the vocabulary like any event. */
export function EventsField(props: FieldProps) {
  const { formData, onChange, fieldPathId, readonly, disabled, schema } = props;
  const id = fieldPathId.$id;
  return (
    <div className="form-group">
      <label htmlFor={id}>{schema.title ?? "Event"}</label>
      <input
        id={id}
        type="text"
        list={EVENT_LIST}
        autoComplete="off"
        value={eventsText(formData)}
        readOnly={readonly}
        disabled={disabled}
        aria-describedby={`${id}__hint`}
        onChange={(e) => onChange(eventsValue(e.target.value), fieldPathId.path)}
      />
      <p className="field-description" id={`${id}__hint`}>
        An event type of the vocabulary, or several separated by commas (any of them converts).
      </p>
    </div>
  );
}
