from flask import Flask, render_template_string, request

from school.courses import course_title

app = Flask(__name__)

CERTIFICATE = (
    "<section class='certificate'><h1>Certificate of Completion</h1>"
    "<p>This certifies that <strong>{{ student }}</strong> completed {{ course }}.</p></section>"
)


@app.post("/certificates/preview")
def preview_certificate():
    data = request.get_json(silent=True) or {}
    student = data.get("student", "")
    course = course_title(int(data.get("course_id", 0)))
    layouts = [data.get("layout", "")]
    layouts.append(CERTIFICATE)
    source = layouts[0]
    return render_template_string(source, student=student, course=course)
