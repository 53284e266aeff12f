/** What the list shows of a measurement (the API's fields, as the page hands them to the browser). */
export interface MeasurementRow {
  id: number;
  type: string;
  description: string;
  target: string | null;
  status: { id: number; name: string };
  is_public: boolean;
  result_count: number;
  last_result_time: number | null;
}

/** What a refresh updates: the fields that change while a measurement runs. */
export type LiveFields = Pick<MeasurementRow, "status" | "result_count" | "last_result_time">;
